#include <cblas.h>

/* Declared by OpenBLAS but not in every cblas.h: the kernel the library chose at load time. */
char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);

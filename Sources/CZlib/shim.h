#include <zlib.h>

/* inflateInit2 is a macro, which Swift cannot call: this wraps it. windowBits 15 + 32
   accepts both zlib and gzip headers. */
static inline int gradbook_inflate_init(z_streamp stream) {
  return inflateInit2(stream, 15 + 32);
}

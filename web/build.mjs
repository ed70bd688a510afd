// Builds the browser client into web/dist:
//   socket.io.js            readable bundle (global `io`)
//   socket.io.min.js(.map)  minified, with its source map
//   *.gz, *.br              precompressed copies (node's zlib, no timestamps)
//
//   node web/build.mjs           writes web/dist
//   node web/build.mjs --check   builds into a temp dir, exits 1 when
//                                anything differs from web/dist (stale)
//
// Both exit 1 when the minified file gzipped is over its size budget.
import { build } from "esbuild";
import { gzipSync, gunzipSync, brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const dist = join(web, "dist");
const check = process.argv.includes("--check");

const common = {
  absWorkingDir: web,
  entryPoints: [join(web, "src/browser.js")],
  bundle: true,
  format: "iife",
  target: "es2018",
  write: false,
  logLevel: "error",
  charset: "utf8",
  legalComments: "none",
};

async function outputs() {
  const files = {};
  const readable = await build({
    ...common,
    outfile: join(dist, "socket.io.js"),
    banner: { js: "// tether socket.io client (Socket.IO v5, Engine.IO v4): the global `io`. MIT OR Apache-2.0." },
  });
  files["socket.io.js"] = readable.outputFiles[0].contents;
  const min = await build({
    ...common,
    outfile: join(dist, "socket.io.min.js"),
    minify: true,
    // Names starting with "_" are internal: shortened (wire names that
    // start with "_" are written quoted, which keeps them).
    mangleProps: /^_/,
    sourcemap: "external",
  });
  for (const f of min.outputFiles) files[f.path.slice(dist.length + 1)] = f.contents;
  for (const name of ["socket.io.js", "socket.io.min.js"]) {
    const src = files[name];
    files[name + ".gz"] = gzipSync(src, { level: 9 });
    files[name + ".br"] = brotliCompressSync(src, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: src.length,
      },
    });
  }
  return files;
}

// A third of the official socket.io.min.js 4.8 gzipped (14,763 B).
const BUDGET = 4921;

const files = await outputs();
const gz = files["socket.io.min.js.gz"].length;
if (gz > BUDGET) {
  console.error(`socket.io.min.js is ${gz} B gzipped, over the budget of ${BUDGET} B`);
  process.exit(1);
}
const out = check ? mkdtempSync(join(tmpdir(), "tether-web-")) : dist;
mkdirSync(out, { recursive: true });
for (const [name, data] of Object.entries(files)) writeFileSync(join(out, name), data);

if (check) {
  const stale = [];
  for (const name of Object.keys(files).sort()) {
    const have = join(dist, name);
    if (!existsSync(have) || !readFileSync(have).equals(readFileSync(join(out, name)))) stale.push(name);
  }
  rmSync(out, { recursive: true, force: true });
  if (stale.length) {
    console.error(`web/dist is stale (run node web/build.mjs): ${stale.join(", ")}`);
    // Same content compressed differently: another zlib or brotli.
    const sameContent = (n) => {
      const unpack = n.endsWith(".gz") ? gunzipSync : n.endsWith(".br") ? brotliDecompressSync : null;
      try {
        return unpack && unpack(readFileSync(join(dist, n))).equals(files[n.slice(0, -3)]);
      } catch {
        return false;
      }
    };
    if (stale.every(sameContent))
      console.error(`only the compression differs: this node has zlib ${process.versions.zlib}, brotli ${process.versions.brotli}`);
    process.exit(1);
  }
  console.log(`web/dist is up to date (${Object.keys(files).length} files)`);
} else {
  for (const [name, data] of Object.entries(files)) console.log(`${name.padEnd(24)} ${String(data.length).padStart(7)} B`);
}

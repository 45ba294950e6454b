#!/usr/bin/env node
// Reference forward pass for the stages/nn/tfjs goldens: nsfwjs@4.3.0's
// Keras models run by TensorFlow.js with the pure-JavaScript CPU backend,
// no network (DATA.md §2.2). Not run by `make test`: its outputs are
// committed. To regenerate (from the repository root):
//
//   bash scripts/fetch-models.sh
//   d=$(mktemp -d) && cp stages/nn/tfjs/testdata/package*.json $d && (cd $d && npm ci)
//   go test ./stages/nn/tfjs -run TestInputsFromPhotos -update-inputs   # optional
//   NODE_PATH=$d/node_modules node stages/nn/tfjs/testdata/reference.js mobilenetv2
//   NODE_PATH=$d/node_modules node stages/nn/tfjs/testdata/reference.js inceptionv3
//
// Inputs: testdata/inputs-<size>.npy (uint8 NHWC; x = float32(u/255)) and,
// for the head check only, $TMPDIR/eigenlab-head-<size>.npy written by
// TestInputsFromPhotos -update-inputs (photos whose crops are not committed).
//
// Outputs, per net: golden-<net>.json (metadata, per-image statistics of
// every checked layer over the full tensor, head probabilities) and
// golden-<net>.bin: for each checked layer, K uint32 element indices
// (into one image's H×W×C or D tensor, NHWC order, sorted), then the
// N×K float32 values at those indices. The indices are a seeded sample
// (mulberry32 seeded with the FNV-1a hash of the layer name), or every
// element when the layer has at most K.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const tf = require("@tensorflow/tfjs");

const NETS = {
  mobilenetv2: { dir: "mobilenet_v2", size: 224, k: 256, layers: null }, // null: every layer
  inceptionv3: {
    dir: "inception_v3", size: 299, k: 512,
    // At least one layer per block: the stem, every mixed block's output,
    // one branch activation inside several blocks, and the head.
    layers: ["conv2d_1", "batch_normalization_1", "activation_1", "activation_3", "max_pooling2d_1",
      "activation_5", "max_pooling2d_2", "activation_6", "average_pooling2d_1", "mixed0", "mixed1", "mixed2",
      "activation_30", "mixed3", "activation_40", "mixed4", "mixed5", "mixed6", "activation_70", "mixed7",
      "max_pooling2d_4", "mixed8", "activation_80", "mixed9_0", "concatenate_1", "mixed9", "mixed10",
      "average_pooling2d_10", "flatten_1", "dense_1", "dense_2", "dense_3"],
  },
};

function readNPY(file) {
  const raw = fs.readFileSync(file);
  if (raw.toString("latin1", 0, 8) !== "\x93NUMPY\x01\x00") throw new Error(`${file}: not a .npy v1.0`);
  const hl = raw.readUInt16LE(8);
  const header = raw.toString("latin1", 10, 10 + hl);
  if (!header.includes("'|u1'")) throw new Error(`${file}: want uint8, header ${header}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(",").map((s) => s.trim()).filter((s) => s).map(Number);
  return { shape, data: new Uint8Array(raw.buffer, raw.byteOffset + 10 + hl, raw.length - 10 - hl) };
}

// Bytes → float32 as the Go test does: the division in double, one rounding.
function toFloat(u8) {
  const f = new Float32Array(u8.length);
  for (let i = 0; i < u8.length; i++) f[i] = u8[i] / 255;
  return f;
}

function fnv1a(s) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

function mulberry32(a) {
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(name, size, k) {
  if (size <= k) return Uint32Array.from({ length: size }, (_, i) => i);
  const rnd = mulberry32(fnv1a(name));
  const set = new Set();
  while (set.size < k) set.add(Math.floor(rnd() * size));
  return Uint32Array.from([...set].sort((a, b) => a - b));
}

// loadModel reads nsfwjs's bundles as nsfwjs's JSONHandler does: the model
// JSON is the module's export, each shard module exports base64.
async function loadModel(dir) {
  const mj = require(path.join(dir, "model.min.js"));
  const specs = [];
  const bufs = [];
  for (const g of mj.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) bufs.push(Buffer.from(require(path.join(dir, p + ".min.js")), "base64"));
  }
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: specs, weightData }));
}

async function main() {
  const net = process.argv[2];
  const cfg = NETS[net];
  if (!cfg) throw new Error(`usage: reference.js ${Object.keys(NETS).join("|")}`);
  await tf.setBackend("cpu");
  const root = process.env.EIGENLAB_MODELS || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "eigenlab", "models");
  const dir = path.join(root, "nsfwjs-4.3.0", "package", "dist", "models", cfg.dir);
  const model = await loadModel(dir);
  const names = cfg.layers || model.layers.filter((l) => !["InputLayer", "Dropout"].includes(l.getClassName())).map((l) => l.name);
  const probe = tf.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output) });

  const here = __dirname;
  const index = JSON.parse(fs.readFileSync(path.join(here, "inputs.json"), "utf8"));
  const inp = readNPY(path.join(here, index.files[String(cfg.size)]));
  const [n, h, w, c] = inp.shape;
  if (h !== cfg.size || w !== cfg.size || c !== 3) throw new Error(`inputs are ${inp.shape}, want N×${cfg.size}×${cfg.size}×3`);
  const per = h * w * c;
  const layers = names.map((name) => ({ name, shape: null, k: 0, offset: 0, stats: [], idx: null, vals: [] }));
  for (let i = 0; i < n; i++) {
    const x = tf.tensor4d(toFloat(inp.data.subarray(i * per, (i + 1) * per)), [1, h, w, c], "float32");
    const outs = probe.predict(x);
    x.dispose();
    (Array.isArray(outs) ? outs : [outs]).forEach((t, j) => {
      const v = t.dataSync();
      const L = layers[j];
      if (!L.shape) {
        L.shape = t.shape.slice(1);
        L.idx = sample(L.name, v.length, cfg.k);
        L.k = L.idx.length;
      }
      let sum = 0, sumAbs = 0, sumSq = 0, maxAbs = 0;
      for (let e = 0; e < v.length; e++) {
        const a = Math.abs(v[e]);
        sum += v[e]; sumAbs += a; sumSq += v[e] * v[e]; if (a > maxAbs) maxAbs = a;
      }
      L.stats.push({ sum, sum_abs: sumAbs, sum_sq: sumSq, max_abs: maxAbs });
      L.vals.push(Float32Array.from(L.idx, (e) => v[e]));
      t.dispose();
    });
  }

  // Head-only photos (crops not committed): the 5-class softmax.
  const head = { images: [], probs: [] };
  const extraFile = path.join(os.tmpdir(), `eigenlab-head-${cfg.size}.npy`);
  if (fs.existsSync(extraFile)) {
    const ex = readNPY(extraFile);
    for (let i = 0; i < ex.shape[0]; i++) {
      const x = tf.tensor4d(toFloat(ex.data.subarray(i * per, (i + 1) * per)), [1, h, w, c], "float32");
      const p = model.predict(x);
      head.probs.push(Array.from(p.dataSync()));
      x.dispose(); p.dispose();
    }
    head.images = ["ladybird", "path"].slice(0, ex.shape[0]);
  }

  const chunks = [];
  let offset = 0;
  for (const L of layers) {
    L.offset = offset;
    const idxBuf = Buffer.from(L.idx.buffer, L.idx.byteOffset, L.idx.byteLength);
    chunks.push(idxBuf);
    offset += idxBuf.length;
    for (const v of L.vals) {
      const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      chunks.push(b);
      offset += b.length;
    }
  }
  if (os.endianness() !== "LE") throw new Error("little-endian host required");
  fs.writeFileSync(path.join(here, `golden-${net}.bin`), Buffer.concat(chunks));
  const meta = {
    note: "written by reference.js; see its header for the layout",
    tfjs: tf.version.tfjs, backend: tf.getBackend(), node: process.version,
    model: `nsfwjs@4.3.0 dist/models/${cfg.dir}`, size: cfg.size,
    images: index.images.map((im) => im.name),
    layers: layers.map((L) => ({ name: L.name, shape: L.shape, k: L.k, offset: L.offset, stats: L.stats })),
    head,
  };
  fs.writeFileSync(path.join(here, `golden-${net}.json`), JSON.stringify(meta) + "\n");
  console.log(`${net}: ${layers.length} layers, ${n} images, ${offset} bytes`);
}

main().catch((e) => { console.error(e); process.exit(1); });

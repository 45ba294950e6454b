#!/usr/bin/env node
// MobileNetV2 forward throughput of the tfjs reference (nsfwjs@4.3.0's
// Keras model, @tensorflow/tfjs 4.22.0, pure-JS CPU backend, as the
// goldens were made; DATA.md §2.2): batch images per predict to out_relu,
// rounds rounds after one warm-up. Dependencies: npm ci in a scratch folder
// from stages/nn/tfjs/testdata/package*.json, then
//   NODE_PATH=<scratch>/node_modules node bench/tfjs_mobilenetv2.js [batch] [rounds]
"use strict";
const os = require("os");
const path = require("path");
const tf = require("@tensorflow/tfjs");

async function main() {
  const batch = Number(process.argv[2] || 8), rounds = Number(process.argv[3] || 3);
  await tf.setBackend("cpu");
  const root = process.env.EIGENLAB_MODELS || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "eigenlab", "models");
  const dir = path.join(root, "nsfwjs-4.3.0", "package", "dist", "models", "mobilenet_v2");
  const mj = require(path.join(dir, "model.min.js"));
  const specs = [], bufs = [];
  for (const g of mj.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) bufs.push(Buffer.from(require(path.join(dir, p + ".min.js")), "base64"));
  }
  const all = Buffer.concat(bufs);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: mj.modelTopology, weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length) }));
  const probe = tf.model({ inputs: model.inputs, outputs: model.getLayer("out_relu").output });
  const x = tf.randomUniform([batch, 224, 224, 3], 0, 1, "float32", 1);
  tf.dispose(probe.predict(x)); // warm-up
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    const y = probe.predict(x);
    y.dataSync();
    const dt = Number(process.hrtime.bigint() - t) / 1e9;
    y.dispose();
    console.log(`tfjs ${tf.version.tfjs} ${tf.getBackend()} batch ${batch}: ${dt.toFixed(3)} s, ${(batch / dt).toFixed(2)} images/s`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });

// The page is compiled into the binary and loads nothing from elsewhere (no fonts, scripts or
// images), so the server works offline and behind any firewall. It draws on a canvas with the
// pointer (mouse, pen, touch), sends the drawing as a PNG to POST /v1/predict while you draw and
// when you lift the pointer, and shows the top 5 classes as bars and the 28x28 image the model saw.
// window.emnistShowImage(pixels) puts an EMNIST-form image (784 values, light on dark) on the
// canvas and classifies it: the page's own test uses it.
#include "use/drawing_page.hpp"

namespace emnist {

std::string_view drawing_page() {
  static constexpr std::string_view page = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>emnist: draw a character</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
main { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
#pad { border: 1px solid #888; touch-action: none; cursor: crosshair; background: #fff; }
#bars { width: 18em; }
.bar { display: flex; align-items: center; margin: 0.3em 0; }
.bar .label { width: 2.5em; font-size: 1.4em; text-align: center; }
.bar .track { flex: 1; background: #eee; height: 1.2em; margin: 0 0.5em; }
.bar .fill { background: #3572b0; height: 100%; }
.bar .value { width: 4em; text-align: right; font-variant-numeric: tabular-nums; }
#seen { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #888; }
button { font-size: 1em; padding: 0.3em 1em; }
#status { color: #a00; min-height: 1.2em; }
</style></head>
<body>
<h1>Draw a character</h1>
<main>
<div><canvas id="pad" width="280" height="280"></canvas><br>
<button id="clear">Clear</button></div>
<div><div id="bars"></div>
<p>The image the model saw (28x28):<br><canvas id="seen" width="28" height="28"></canvas></p>
<p id="model"></p><p id="status"></p></div>
</main>
<script>
"use strict";
const pad = document.getElementById("pad"), ctx = pad.getContext("2d");
const seen = document.getElementById("seen").getContext("2d");
const bars = document.getElementById("bars"), statusLine = document.getElementById("status");
let drawing = false, last = null, inFlight = false, pending = false, timer = null;

function blank() {
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, pad.width, pad.height);
  seen.fillStyle = "#000"; seen.fillRect(0, 0, 28, 28);
  bars.innerHTML = ""; statusLine.textContent = "";
}
function point(e) {
  const r = pad.getBoundingClientRect();
  return { x: (e.clientX - r.left) * pad.width / r.width, y: (e.clientY - r.top) * pad.height / r.height };
}
function stroke(from, to) {
  ctx.strokeStyle = "#000"; ctx.lineWidth = 18; ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.beginPath(); ctx.moveTo(from.x, from.y); ctx.lineTo(to.x, to.y); ctx.stroke();
}
pad.addEventListener("pointerdown", e => {
  drawing = true; last = point(e); pad.setPointerCapture(e.pointerId); stroke(last, last);
});
pad.addEventListener("pointermove", e => {
  if (!drawing) return;
  const p = point(e); stroke(last, p); last = p;
  if (timer === null) timer = setTimeout(() => { timer = null; classify(); }, 250);
});
function lift() { if (drawing) { drawing = false; classify(); } }
pad.addEventListener("pointerup", lift);
pad.addEventListener("pointercancel", lift);
document.getElementById("clear").addEventListener("click", blank);

function show(prediction) {
  bars.innerHTML = "";
  for (const t of prediction.top) {
    const row = document.createElement("div"); row.className = "bar"; row.dataset.class = t["class"];
    const label = document.createElement("span"); label.className = "label"; label.textContent = t["class"];
    const track = document.createElement("span"); track.className = "track";
    const fill = document.createElement("span"); fill.className = "fill";
    fill.style.display = "block"; fill.style.width = (100 * t.probability).toFixed(1) + "%";
    track.appendChild(fill);
    const value = document.createElement("span"); value.className = "value";
    value.textContent = (100 * t.probability).toFixed(1) + "%";
    row.append(label, track, value); bars.appendChild(row);
  }
  const img = seen.createImageData(28, 28);
  prediction.image.forEach((v, i) => {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
  });
  seen.putImageData(img, 0, 0);
}
async function classify() {
  if (inFlight) { pending = true; return; }
  inFlight = true;
  try {
    const response = await fetch("/v1/predict", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ images: [pad.toDataURL("image/png")], top: 5 })
    });
    const answer = await response.json();
    if (!response.ok) { statusLine.textContent = answer.error ? answer.error.message : response.status; }
    else { statusLine.textContent = ""; show(answer.predictions[0]); document.body.dataset.answers = (Number(document.body.dataset.answers || 0) + 1).toString(); }
  } catch (err) {
    statusLine.textContent = "the server did not answer: " + err;
  } finally {
    inFlight = false;
    if (pending) { pending = false; classify(); }
  }
}
// An EMNIST-form image (784 values 0..255, light ink on dark) drawn on the canvas as dark ink on
// white, scaled up, then classified.
function idle() {
  return new Promise(resolve => {
    const check = () => (inFlight || pending || timer !== null) ? setTimeout(check, 20) : resolve();
    check();
  });
}
window.emnistShowImage = async function (pixels) {
  await idle();
  const small = document.createElement("canvas"); small.width = small.height = 28;
  const s = small.getContext("2d"), img = s.createImageData(28, 28);
  pixels.forEach((v, i) => {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = 255 - v; img.data[4 * i + 3] = 255;
  });
  s.putImageData(img, 0, 0);
  blank(); ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = "high";
  ctx.drawImage(small, 0, 0, pad.width, pad.height);
  await classify();
};
fetch("/v1/model").then(r => r.json()).then(m => {
  document.getElementById("model").textContent =
    "Model: " + m.kind + ", " + m.classes.length + " classes, " + m.parameters + " parameters";
});
blank();
</script>
</body></html>
)html";
  return page;
}

}  // namespace emnist

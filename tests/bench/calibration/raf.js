// The calibration page's only work: one requestAnimationFrame loop that does nothing. What the
// browser costs for it on this machine is the baseline the playground's figures are divided by.
let frames = 0;
function tick() {
  frames += 1;
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);

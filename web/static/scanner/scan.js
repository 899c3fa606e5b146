// 扫一扫: reads a QR, Data Matrix or Code 128 code with the phone's camera and hands its text to /find.
// Only when the shopper taps the button; the form works without it. The decoder is barcode-detector 3.2.2
// (ZXing-C++ as WebAssembly, zxing-wasm 3.1.3), both served from this site (web/static/scanner/VENDOR.md).
(function () {
  "use strict";
  var button = document.getElementById("scan");
  var api = window.BarcodeDetectionAPI;
  if (!button || !api || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  api.prepareZXingModule({
    overrides: {
      locateFile: function (path, prefix) {
        return path.endsWith(".wasm") ? "/scanner/zxing_reader-3.1.3.wasm" : prefix + path;
      }
    }
  });
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var input = document.getElementById("code");
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      status.textContent = button.getAttribute("data-reading");
      var detector = new api.BarcodeDetector({ formats: ["qr_code", "data_matrix", "code_128"] });
      function stop() { stream.getTracks().forEach(function (track) { track.stop(); }); }
      function tick() {
        if (video.readyState < 2) { window.setTimeout(tick, 150); return; }
        detector.detect(video).then(function (found) {
          if (found.length) {
            stop();
            input.value = found[0].rawValue;
            input.form.submit();
          } else {
            window.setTimeout(tick, 150);
          }
        }, function () { window.setTimeout(tick, 300); });
      }
      video.play().then(tick, tick);
    }, function () {
      button.disabled = false;
      status.textContent = button.getAttribute("data-refused");
    });
  });
})();

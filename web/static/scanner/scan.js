// 扫一扫: reads a QR, Data Matrix or Code 128 code with the phone's camera, for the pages that offer it
// (web/templates/scan_button.html says what its data-scan-* attributes mean). Only when tapped; every form works
// without it. The decoder is barcode-detector 3.2.2 (ZXing-C++ as WebAssembly, zxing-wasm 3.1.3), both served
// from this site (web/static/scanner/VENDOR.md).
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
  var fields = Array.prototype.slice.call(document.querySelectorAll(button.getAttribute("data-scan-into")));
  if (!fields.length) return;
  button.hidden = false;

  // The first empty field takes the next code (a visit scans one instrument after another), else the last.
  function nextField() {
    for (var i = 0; i < fields.length; i++) { if (!fields[i].value.trim()) return fields[i]; }
    return fields[fields.length - 1];
  }

  function outputFor(field) {
    return document.getElementById(field.id + "-found") || status;
  }

  // What the code names, in the page's language, from the same resolver as /find.
  function describe(field, text) {
    var out = outputFor(field);
    var lang = button.getAttribute("data-scan-lang");
    var url = "/find.json?code=" + encodeURIComponent(text) + (lang ? "&lang=" + encodeURIComponent(lang) : "");
    if (out !== status) status.textContent = "";
    out.textContent = button.getAttribute("data-asking");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      return response.json();
    }).then(function (found) {
      if (found.instrument && button.getAttribute("data-scan-fill") === "code") field.value = found.instrument.code;
      out.textContent = found.summary || "";
      out.setAttribute("data-outcome", found.outcome || "");
    }, function () {
      out.textContent = button.getAttribute("data-failed");
    });
  }

  function read(text) {
    var field = nextField();
    field.value = text;
    if (button.getAttribute("data-scan-then") === "open") {
      field.form.submit();
      return;
    }
    video.hidden = true;
    button.disabled = false;
    describe(field, text);
  }

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
            read(found[0].rawValue);
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

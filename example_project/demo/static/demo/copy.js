"use strict";
// Copy buttons for the demo's commands. Progressive enhancement: without JavaScript there is no button and
// the command, wrapped but whole, can still be selected and copied by hand.
(function () {
  function init() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      if (!target) { return; }
      var label = button.innerHTML;
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = target.textContent.trim();
        var done = function () { button.textContent = "Copied"; };
        var failed = function () { window.getSelection().selectAllChildren(target); button.textContent = "Press Ctrl+C"; };
        (navigator.clipboard && window.isSecureContext ? navigator.clipboard.writeText(text) : Promise.reject())
          .then(done, failed)
          .then(function () { window.setTimeout(function () { button.innerHTML = label; }, 2000); });
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();

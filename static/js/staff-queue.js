// The staff queue, enhanced: a "select all" box for the bulk actions, and on a phone the filter
// and bulk panels start folded (unless filters are in use). Without this script all is shown.
(function () {
  "use strict";
  if (window.matchMedia("(max-width: 767.98px)").matches) {
    document.querySelectorAll("details[data-phone-closed]").forEach(function (panel) {
      if (panel.dataset.phoneClosed !== "keep") panel.open = false;
    });
  }
  var all = document.getElementById("select-all");
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#bulk input[name="tickets"]'));
  if (!all || !boxes.length) return;
  all.hidden = false;
  function sync() {
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  boxes.forEach(function (box) { box.addEventListener("change", sync); });
})();

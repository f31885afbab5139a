// The staff workspace. The problem card's similar open tickets are asked for once the page is shown
// (ranking them is the dearest part of the workspace); without this script, or when the request
// fails, the card keeps its link to the same list on a page of its own.
(function () {
  "use strict";
  var slot = document.querySelector(".hd-similar-slot[data-url]");
  if (!slot || !window.fetch) return;
  fetch(slot.dataset.url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    })
    .then(function (html) {
      slot.innerHTML = html;
    })
    .catch(function () {});
})();

// "Insert" puts the chosen canned reply into the message without a round
// trip. Without this script the same button re-renders the page with the text inserted.
(function () {
  "use strict";
  var data = document.getElementById("canned-texts");
  var form = document.getElementById("composer");
  if (!data || !form) return;
  var texts = JSON.parse(data.textContent);
  var select = form.querySelector('select[name="canned"]');
  var body = form.querySelector('textarea[name="body"]');
  var insert = form.querySelector('button[name="action"][value="insert"]');
  if (!select || !body || !insert) return;
  insert.addEventListener("click", function (event) {
    var text = texts[select.value];
    if (text === undefined) return; // nothing chosen: let the server say so
    event.preventDefault();
    var start = body.selectionStart, end = body.selectionEnd, value = body.value;
    if (document.activeElement !== body && start === end && start === 0 && value) {
      start = end = value.length; // the cursor was never placed: add at the end
    }
    var before = value.slice(0, start), after = value.slice(end);
    var glue = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    body.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    body.focus();
    body.setSelectionRange(caret, caret);
    select.value = "";
  });
})();

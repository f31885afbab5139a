/* Attachments of the ticket and reply forms: checked before upload, kept across choices,
   and screenshots pasted or dropped into the form. Without JavaScript the plain file input
   works and the server checks everything again. The texts come translated in data-* attributes. */
(function () {
  "use strict";

  function size(bytes) {
    return bytes < 1048576 ? Math.max(1, Math.round(bytes / 1024)) + " KB" : (bytes / 1048576).toFixed(1) + " MB";
  }

  function format(template, file) {
    return template.replace("{name}", file.name).replace("{size}", size(file.size));
  }

  function allowed(file, types) {
    const name = file.name.toLowerCase();
    return types.some(function (type) {
      return type.startsWith(".") ? name.endsWith(type) : file.type === type;
    });
  }

  function stamp() {
    const now = new Date();
    const pad = function (number) { return String(number).padStart(2, "0"); };
    return now.getFullYear() + pad(now.getMonth() + 1) + pad(now.getDate()) + "-" +
      pad(now.getHours()) + pad(now.getMinutes()) + pad(now.getSeconds());
  }

  function setUp(input) {
    const data = input.dataset;
    const maxFiles = Number(data.maxFiles);
    const maxBytes = Number(data.maxBytes);
    const maxTotal = Number(data.maxTotal);
    const types = input.accept.split(",");
    const form = input.form;
    let kept = [];

    const hint = document.createElement("div");
    hint.className = "form-text";
    hint.textContent = data.msgHint;
    const list = document.createElement("ul");
    list.className = "list-unstyled small mb-1 hd-chosen-files";
    const refusals = document.createElement("ul");
    refusals.className = "small text-danger mb-1 hd-refused-files";
    refusals.setAttribute("role", "alert");
    input.after(hint, list, refusals);

    function sync() {
      const transfer = new DataTransfer();
      kept.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      list.replaceChildren.apply(list, kept.map(function (file, index) {
        const item = document.createElement("li");
        item.textContent = file.name + " (" + size(file.size) + ") ";
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-link btn-sm p-0 align-baseline";
        remove.textContent = data.msgRemove;
        remove.setAttribute("aria-label", data.msgRemove + ": " + file.name);
        remove.addEventListener("click", function () {
          kept.splice(index, 1);
          sync();
        });
        item.append(remove);
        return item;
      }));
    }

    function add(files) {
      const refused = [];
      files.forEach(function (file) {
        const total = kept.reduce(function (sum, each) { return sum + each.size; }, 0);
        if (!allowed(file, types)) {
          refused.push(format(data.msgType, file));
        } else if (file.size > maxBytes) {
          refused.push(format(data.msgSize, file));
        } else if (kept.length >= maxFiles) {
          refused.push(format(data.msgCount, file));
        } else if (total + file.size > maxTotal) {
          refused.push(format(data.msgTotal, file));
        } else {
          kept.push(file);
        }
      });
      refusals.replaceChildren.apply(refusals, refused.map(function (text) {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }));
      sync();
    }

    // The browser replaces the selection on each choice: add the new files to the kept ones instead.
    input.addEventListener("change", function () {
      const chosen = Array.from(input.files).filter(function (file) { return kept.indexOf(file) === -1; });
      add(chosen);
    });

    form.addEventListener("paste", function (event) {
      const files = Array.from(event.clipboardData ? event.clipboardData.files : []);
      if (!files.length) {
        return;
      }
      event.preventDefault();
      add(files.map(function (file, index) {
        const extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
        const name = data.msgScreenshot + "-" + stamp() + (index ? "-" + index : "") + "." + extension;
        return new File([file], name, { type: file.type });
      }));
    });

    form.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.from(event.dataTransfer.types).indexOf("Files") !== -1) {
        event.preventDefault();
        form.classList.add("hd-dropping");
      }
    });
    form.addEventListener("dragleave", function () { form.classList.remove("hd-dropping"); });
    form.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        event.preventDefault();
        form.classList.remove("hd-dropping");
        add(Array.from(event.dataTransfer.files));
      }
    });
  }

  document.querySelectorAll("input[type=file][data-max-files]").forEach(setUp);
})();

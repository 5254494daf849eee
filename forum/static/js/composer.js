// The composer, progressively enhanced: every textarea[data-composer] gets a formatting
// bar, a preview shown in place (the server renders it through the posting sanitiser),
// @mention suggestions, pasted or attached screenshots, and a draft kept in this
// browser (localStorage, cleared once the post is accepted). The topic page's reply
// form posts in place. Without JavaScript the same forms and links work as pages.
(function () {
  "use strict";
  var DRAFT_PREFIX = "forum-draft:";
  var PENDING = "forum-draft-pending";

  function csrf(form) {
    var el = form.querySelector("input[name=csrf_token]");
    return el ? el.value : "";
  }

  function insertAround(ta, before, after, placeholder) {
    var start = ta.selectionStart, end = ta.selectionEnd;
    var chosen = ta.value.slice(start, end) || placeholder || "";
    ta.setRangeText(before + chosen + (after || ""), start, end, "end");
    if (!ta.value.slice(start, end).length) {
      ta.selectionStart = start + before.length;
      ta.selectionEnd = start + before.length + chosen.length;
    }
    ta.focus();
    ta.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function prefixLines(ta, prefix) {
    var start = ta.value.lastIndexOf("\n", ta.selectionStart - 1) + 1;
    var end = ta.selectionEnd;
    var block = ta.value.slice(start, end) || "";
    var lines = block.split("\n").map(function (l) { return prefix + l; }).join("\n");
    ta.setRangeText(lines, start, end, "end");
    ta.focus();
    ta.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function insertText(ta, text) {
    var at = ta.selectionStart;
    var lead = at > 0 && ta.value[at - 1] !== "\n" ? "\n\n" : "";
    ta.setRangeText(lead + text, at, ta.selectionEnd, "end");
    ta.focus();
    ta.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // --- formatting bar -------------------------------------------------------------
  var TOOLS = [
    ["Bold", "B", function (ta) { insertAround(ta, "**", "**", "bold text"); }],
    ["Italic", "I", function (ta) { insertAround(ta, "*", "*", "italic text"); }],
    ["Link", "Link", function (ta) { insertAround(ta, "[", "](https://)", "link text"); }],
    ["Quote", "Quote", function (ta) { prefixLines(ta, "> "); }],
    ["Bulleted list", "List", function (ta) { prefixLines(ta, "- "); }],
    ["Code", "Code", function (ta) { insertAround(ta, "`", "`", "code"); }]
  ];

  function toolbar(ta, form, urls) {
    var bar = document.createElement("div");
    bar.className = "composer-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Formatting");
    bar.setAttribute("aria-controls", ta.id);
    TOOLS.forEach(function (t) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "composer-tool";
      b.textContent = t[1];
      b.setAttribute("aria-label", t[0]);
      b.title = t[0];
      b.addEventListener("click", function () { t[2](ta); });
      bar.appendChild(b);
    });
    if (urls.upload) {
      var input = document.createElement("input");
      input.type = "file";
      input.accept = "image/png,image/jpeg,image/gif,image/webp";
      input.hidden = true;
      var attach = document.createElement("button");
      attach.type = "button";
      attach.className = "composer-tool";
      attach.textContent = "Image";
      attach.setAttribute("aria-label", "Attach a screenshot");
      attach.title = "Attach a screenshot (or paste one)";
      attach.addEventListener("click", function () { input.click(); });
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(input.files, function (f) { upload(f, ta, form, urls); });
        input.value = "";
      });
      bar.appendChild(attach);
      bar.appendChild(input);
    }
    ta.parentNode.insertBefore(bar, ta);
  }

  function status(form, text, isError) {
    var el = form.querySelector(".composer-status");
    if (!el) {
      el = document.createElement("p");
      el.className = "composer-status small";
      el.setAttribute("role", "status");
      var ta = form.querySelector("textarea[data-composer]");
      ta.parentNode.insertBefore(el, ta.nextSibling);
    }
    el.textContent = text;
    el.classList.toggle("composer-error", !!isError);
  }

  // --- screenshots ----------------------------------------------------------------
  function upload(file, ta, form, urls) {
    if (!/^image\//.test(file.type)) { status(form, "Only images can be attached.", true); return; }
    var data = new FormData();
    data.append("csrf_token", csrf(form));
    data.append("image", file, file.name || "screenshot.png");
    status(form, "Uploading the image…");
    fetch(urls.upload, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return [r, j]; }); })
      .then(function (res) {
        if (!res[0].ok) { status(form, res[1].error || "The image could not be uploaded.", true); return; }
        insertText(ta, res[1].markdown + "\n");
        status(form, "Image added to your post.");
      })
      .catch(function () { status(form, "The image could not be uploaded: check your connection.", true); });
  }

  function pasteImages(ta, form, urls) {
    ta.addEventListener("paste", function (e) {
      var items = (e.clipboardData && e.clipboardData.files) || [];
      var images = Array.prototype.filter.call(items, function (f) { return /^image\//.test(f.type); });
      if (!images.length) return;
      e.preventDefault();
      images.forEach(function (f) { upload(f, ta, form, urls); });
    });
  }

  // --- preview --------------------------------------------------------------------
  function preview(form, ta) {
    var button = form.querySelector("[data-composer-preview]");
    var box = form.querySelector(".composer-preview");
    if (!button || !box) return;
    button.addEventListener("click", function (e) {
      e.preventDefault();
      var data = new FormData();
      data.append("csrf_token", csrf(form));
      data.append("body", ta.value);
      box.hidden = false;
      box.textContent = "Rendering the preview…";
      fetch(button.getAttribute("formaction"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.text().then(function (t) { return [r, t]; }); })
        .then(function (res) {
          box.innerHTML = "";
          var head = document.createElement("h3");
          head.className = "composer-preview-title";
          head.textContent = "Preview";
          box.appendChild(head);
          var body = document.createElement("div");
          body.className = res[0].ok ? "post-body" : "errors";
          // The server's render: the same sanitised HTML that posting stores.
          if (res[0].ok) { body.innerHTML = res[1]; } else { body.textContent = res[1]; }
          box.appendChild(body);
        })
        .catch(function () { box.textContent = "The preview could not be loaded: check your connection."; });
    });
  }

  // --- @mentions ------------------------------------------------------------------
  function mentions(ta, urls) {
    if (!urls.mentions) return;
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.id = ta.id + "-mentions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members");
    list.hidden = true;
    ta.parentNode.insertBefore(list, ta.nextSibling);
    ta.setAttribute("aria-autocomplete", "list");
    ta.setAttribute("aria-controls", list.id);
    var active = -1, timer = null, lastQ = "";

    function close() { list.hidden = true; list.innerHTML = ""; active = -1; ta.removeAttribute("aria-activedescendant"); }
    function currentQuery() {
      var m = /(^|[^\w@\/.\-])@([\w.\-]{1,30})$/.exec(ta.value.slice(0, ta.selectionStart));
      return m ? m[2] : null;
    }
    function choose(name) {
      var at = ta.selectionStart;
      var q = currentQuery();
      if (q === null) return;
      ta.setRangeText(name + " ", at - q.length, at, "end");
      close();
      ta.focus();
      ta.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function mark(i) {
      var items = list.querySelectorAll("li");
      items.forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (items[i]) ta.setAttribute("aria-activedescendant", items[i].id);
    }
    function show(users) {
      list.innerHTML = "";
      users.forEach(function (u, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.textContent = "@" + u.username + (u.name && u.name !== u.username ? " (" + u.name + ")" : "");
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(u.username); });
        list.appendChild(li);
      });
      list.hidden = !users.length;
      if (users.length) mark(0);
    }
    ta.addEventListener("input", function () {
      var q = currentQuery();
      if (!q) { close(); return; }
      if (q === lastQ && !list.hidden) return;
      lastQ = q;
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(urls.mentions + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { users: [] }; })
          .then(function (j) { if (currentQuery() === q) show(j.users || []); })
          .catch(close);
      }, 150);
    });
    ta.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      var n = list.querySelectorAll("li").length;
      if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % n); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark((active - 1 + n) % n); }
      else if (e.key === "Enter" || e.key === "Tab") {
        var li = list.querySelectorAll("li")[active];
        if (li) { e.preventDefault(); choose(li.textContent.split(" ")[0].slice(1)); }
      } else if (e.key === "Escape") { close(); }
    });
    ta.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // --- drafts ---------------------------------------------------------------------
  function draftKey(form, ta) {
    var parent = form.querySelector("input[name=parent_id]");
    return DRAFT_PREFIX + (form.getAttribute("action") || location.pathname) + "|" + location.pathname +
      (parent && parent.value ? "|" + parent.value : "") + "|" + ta.name;
  }

  function drafts(form, ta) {
    var key = draftKey(form, ta);
    try {
      var saved = localStorage.getItem(key);
      if (saved && !ta.value.trim()) {
        ta.value = saved;
        status(form, "Your unsent draft is back.");
      }
    } catch (e) { return; }
    var timer = null;
    function save() {
      try { if (ta.value.trim()) localStorage.setItem(key, ta.value); else localStorage.removeItem(key); } catch (e) { /* full or off */ }
    }
    ta.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 300); });
    window.addEventListener("pagehide", function () { if (timer) { clearTimeout(timer); if (!sent) save(); } });
    var sent = false;
    form.addEventListener("submit", function (e) {
      var via = e.submitter;
      if (via && via.hasAttribute("data-composer-preview")) return;
      sent = true;
      try { sessionStorage.setItem(PENDING, key); } catch (err) { /* off */ }
    });
  }

  function clearAcceptedDraft() {
    // The post was sent on the previous page: keep the draft only if it came back with errors.
    try {
      var key = sessionStorage.getItem(PENDING);
      if (!key) return;
      sessionStorage.removeItem(PENDING);
      if (!document.querySelector(".error-summary, .personal-data-warning, [aria-invalid=true]")) localStorage.removeItem(key);
    } catch (e) { /* storage off */ }
  }

  // --- quoting --------------------------------------------------------------------
  function quoting() {
    document.addEventListener("click", function (e) {
      var link = e.target.closest && e.target.closest("a[data-quote-url]");
      var box = document.querySelector("form[data-reply-in-place] textarea[data-composer]");
      if (!link || !box) return;
      e.preventDefault();
      fetch(link.getAttribute("data-quote-url"), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("quote"); return r.text(); })
        .then(function (text) {
          insertText(box, text);
          box.scrollIntoView({ block: "center" });
        })
        .catch(function () { location.href = link.href; });
    });
  }

  // --- reply in place -------------------------------------------------------------
  function replyInPlace(form) {
    form.addEventListener("submit", function (e) {
      var via = e.submitter;
      if (via && via.hasAttribute("data-composer-preview")) return;
      e.preventDefault();
      var button = form.querySelector("button[type=submit]:not([data-composer-preview])");
      if (button) button.disabled = true;
      var ta = form.querySelector("textarea[data-composer]");
      status(form, "Posting your reply…");
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) {
          var m = /[?&]posted=(\d+)/.exec(r.url);
          if (!r.ok || !r.redirected || !m) throw new Error("not posted");
          return r.text().then(function (html) { return [r.url, m[1], html]; });
        })
        .then(function (res) {
          var doc = new DOMParser().parseFromString(res[2], "text/html");
          var fresh = doc.querySelector("main");
          var main = document.querySelector("main");
          if (!fresh || !main) { location.href = res[0]; return; }
          try { localStorage.removeItem(draftKey(form, ta)); sessionStorage.removeItem(PENDING); } catch (err) { /* off */ }
          main.innerHTML = fresh.innerHTML;
          history.pushState(null, "", res[0].split("#")[0] + "#p" + res[1]);
          document.title = doc.title;
          init(main);
          var post = document.getElementById("p" + res[1]);
          if (post) {
            post.scrollIntoView({ block: "start" });
            var note = post.querySelector(".post-confirmation");
            if (note) { note.setAttribute("tabindex", "-1"); note.setAttribute("role", "status"); note.focus({ preventScroll: true }); }
          }
        })
        .catch(function () {
          // Errors, the personal-data check or a lost connection: the ordinary page says why.
          if (button) button.disabled = false;
          try { sessionStorage.setItem(PENDING, draftKey(form, ta)); } catch (err) { /* off */ }
          HTMLFormElement.prototype.submit.call(form);
        });
    });
  }

  function init(root) {
    var urls = {};
    root.querySelectorAll("textarea[data-composer]").forEach(function (ta) {
      var form = ta.form;
      if (!form || ta.dataset.composerReady) return;
      ta.dataset.composerReady = "1";
      var previewButton = form.querySelector("[data-composer-preview]");
      urls = {
        upload: (form.querySelector(".composer-upload-link") || {}).href,
        mentions: previewButton ? previewButton.getAttribute("data-mentions-url") : null
      };
      var link = form.querySelector(".composer-upload-link");
      if (link) link.hidden = true;
      toolbar(ta, form, urls);
      preview(form, ta);
      pasteImages(ta, form, urls);
      mentions(ta, urls);
      drafts(form, ta);
      if (form.hasAttribute("data-reply-in-place")) replyInPlace(form);
    });
  }

  clearAcceptedDraft();
  init(document);
  quoting();
})();

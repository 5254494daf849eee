/* Q&A sessions: vote without a reload, and show similar questions while typing.
   Progressive enhancement only: every form works as a plain POST without this file. */
(function () {
  "use strict";

  // A success is green (js-message-ok), a failure red (errors): the flash categories' colours.
  function message(form, text, ok) {
    var note = form.querySelector(".qa-js-message");
    if (!note) {
      note = document.createElement("span");
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.className = "qa-js-message " + (ok ? "js-message-ok" : "errors");
    note.textContent = text;
  }

  function votes(n) { return n === 1 ? "vote" : "votes"; }

  function onVote(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-qa-vote]")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      button.disabled = false;
      if (!result.ok) { message(form, result.data.error || "That did not work."); return; }
      var data = result.data;
      document.querySelectorAll('[data-qa-count="' + data.question + '"]').forEach(function (el) {
        el.textContent = String(data.votes);
      });
      document.querySelectorAll('[data-qa-noun="' + data.question + '"]').forEach(function (el) {
        el.textContent = votes(data.votes);
      });
      form.querySelector('input[name="vote"]').value = data.voted ? "0" : "1";
      button.textContent = data.voted ? "Take my vote back" : "Vote";
      button.setAttribute("aria-pressed", data.voted ? "true" : "false");
      button.classList.toggle("secondary", data.voted);
      message(form, data.voted ? "Vote counted." : "Vote taken back.", true);
    }).catch(function () {
      button.disabled = false;
      form.submit();
    });
  }

  function setupSimilar(form) {
    var box = form.querySelector(".qa-similar-live");
    var input = form.querySelector("textarea");
    if (!box || !input) return;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        if (text.length < 10 || text === last) return;
        last = text;
        var url = form.getAttribute("data-qa-similar") + "?q=" + encodeURIComponent(text.slice(0, 500));
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { questions: [] }; })
          .then(function (data) {
            box.textContent = "";
            if (!data.questions.length) { box.hidden = true; return; }
            var heading = document.createElement("p");
            heading.textContent = "Similar questions already asked (vote for one instead?):";
            box.appendChild(heading);
            var list = document.createElement("ul");
            data.questions.forEach(function (q) {
              var item = document.createElement("li");
              var link = document.createElement("a");
              link.href = q.url;
              link.textContent = "#" + q.id + " " + q.text;
              item.appendChild(link);
              item.appendChild(document.createTextNode(" (" + q.votes + " " + votes(q.votes) + (q.answered ? ", answered" : "") + ")"));
              list.appendChild(item);
            });
            box.appendChild(list);
            box.hidden = false;
          })
          .catch(function () { /* the check step still shows them */ });
      }, 400);
    });
  }

  document.addEventListener("submit", onVote);
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-qa-similar]").forEach(setupSimilar);
  });
})();

// search: show similar topics while a title is typed on the new-topic form (debounced).
// Each suggestion links straight to its topic; opening one is counted by a POST beacon
// (GET never writes). Without JavaScript the server renders the list (see _similar_list.html).
(function () {
  "use strict";
  var box = document.querySelector(".similar-box");
  var input = document.getElementById("title");
  if (!box || !input || !window.fetch) { return; }
  var list = document.getElementById("similar-topics");
  var url = box.getAttribute("data-similar-url");
  var csrf = box.getAttribute("data-csrf");
  var timer = null, last = "";
  function countOpen(openUrl) {
    if (!navigator.sendBeacon || !openUrl) { return; }
    var data = new FormData();
    data.append("csrf_token", csrf);
    data.append("beacon", "1");
    navigator.sendBeacon(openUrl, data);
  }
  function render(results) {
    list.textContent = "";
    if (!results.length) { return; }
    var ul = document.createElement("ul");
    ul.className = "topic-list similar-topics";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url; a.rel = "nofollow"; a.textContent = r.title;
      a.setAttribute("data-open-url", r.open_url || "");
      li.appendChild(a);
      var meta = document.createElement("span");
      meta.className = "muted small";
      meta.textContent = " " + r.category + (r.resolved ? " · Resolved" : "");
      li.appendChild(meta);
      if (r.excerpt) {
        var p = document.createElement("p");
        p.className = "small"; p.textContent = r.excerpt;
        li.appendChild(p);
      }
      ul.appendChild(li);
    });
    list.appendChild(ul);
  }
  function opened(event) {
    // A click, or a middle click (opens a new tab: the draft stays on this page).
    if (event.type === "auxclick" && event.button !== 1) { return; }
    var a = event.target.closest ? event.target.closest("a[data-open-url]") : null;
    if (a && list.contains(a)) { countOpen(a.getAttribute("data-open-url")); }
  }
  list.addEventListener("click", opened);
  list.addEventListener("auxclick", opened);
  function lookup() {
    var title = input.value.trim();
    if (title === last) { return; }
    last = title;
    if (title.length < 3) { render([]); return; }
    fetch(url + "?title=" + encodeURIComponent(title), { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { if (input.value.trim() === title) { render(data.results || []); } })
      .catch(function () {});
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
})();

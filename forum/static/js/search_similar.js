// search: show similar topics while a title is typed on the new-topic form (debounced).
(function () {
  "use strict";
  var box = document.querySelector(".similar-box");
  var input = document.getElementById("title");
  if (!box || !input || !window.fetch) { return; }
  var list = document.getElementById("similar-topics");
  var url = box.getAttribute("data-similar-url");
  var timer = null, last = "";
  function render(results) {
    list.textContent = "";
    if (!results.length) { return; }
    var ul = document.createElement("ul");
    ul.className = "topic-list similar-topics";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url; a.rel = "nofollow"; a.textContent = r.title;
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

/* audiofeed archive: small enhancements. Every page works without this file. */
(function () {
  "use strict";
  var player = document.querySelector("audio[data-player]");

  function seek(seconds, play) {
    if (!player || !isFinite(seconds)) return false;
    player.currentTime = seconds;
    if (play) {
      var started = player.play();
      if (started && started.catch) started.catch(function () {});
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var link = target.closest("[data-seek]");
    if (link && seek(parseFloat(link.getAttribute("data-seek")), true)) {
      event.preventDefault();
      return;
    }
    var listen = target.closest("a[data-listen]");
    if (listen) {
      event.preventDefault();
      listenTo(listen);
      return;
    }
    var button = target.closest("button[data-copy]");
    if (button) copy(button);
  });

  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector(".copy-status");
    if (!input) return;
    function done(ok) {
      if (status) status.textContent = ok ? "Feed URL copied." : "Select the URL and copy it.";
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () {
        input.select();
        done(false);
      });
    } else {
      input.select();
      done(false);
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (b) { b.hidden = false; });

  /* Highlight the chapter being played. */
  var chapters = Array.prototype.slice.call(document.querySelectorAll(".chapters [data-seek]"));
  if (player && chapters.length) {
    player.addEventListener("timeupdate", function () {
      var current = null;
      chapters.forEach(function (c) {
        if (parseFloat(c.getAttribute("data-seek")) <= player.currentTime + 0.05) current = c;
      });
      chapters.forEach(function (c) {
        if (c === current) c.setAttribute("aria-current", "true");
        else c.removeAttribute("aria-current");
      });
    });
  }

  /* episodes/x.html#t=90 starts the player at 1:30 and shows the transcript there. */
  var m = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
  if (m) {
    seek(parseFloat(m[1]), false);
    showCue(parseFloat(m[1]));
  }

  function showCue(seconds) {
    var found = null;
    document.querySelectorAll(".transcript .cue [data-seek]").forEach(function (a) {
      if (parseFloat(a.getAttribute("data-seek")) <= seconds + 0.05) found = a;
    });
    if (!found) return;
    var cue = found.closest(".cue");
    var details = cue.closest("details");
    if (details) details.open = true;
    cue.classList.add("current");
    cue.scrollIntoView({ block: "center" });
  }

  /* Index: "Listen" makes a player for that session only when asked (nothing loads
     before), and one playing pauses the others. */
  function listenTo(link) {
    var entry = link.closest(".session") || link.parentNode;
    var audio = entry.querySelector("audio");
    if (!audio) {
      audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "auto";
      audio.src = link.getAttribute("href");
      audio.setAttribute("aria-label", link.textContent);
      audio.addEventListener("play", function () {
        document.querySelectorAll(".session audio").forEach(function (other) {
          if (other !== audio) other.pause();
        });
      });
      link.parentNode.insertAdjacentElement("afterend", audio);
    }
    if (audio.paused) {
      var started = audio.play();
      if (started && started.catch) started.catch(function () {});
    } else {
      audio.pause();
    }
  }

  /* Index: search with Pagefind's static index (pagefind/), where it was published. The
     box stays hidden without JavaScript, from file:// (browsers refuse modules there) and
     when the index cannot be loaded. */
  var box = document.querySelector("[data-search]");
  if (box && window.location.protocol !== "file:") {
    var url = new URL(box.getAttribute("data-search"), window.location.href).href;
    import(url).then(function (pagefind) {
      return Promise.resolve(pagefind.options({ excerptLength: 24 })).then(function () {
        startSearch(box, pagefind);
      });
    }).catch(function () {});
  }

  function startSearch(box, pagefind) {
    var input = box.querySelector("input[type=search]");
    var status = box.querySelector(".search-status");
    var list = box.querySelector(".search-results");
    var asked = 0;
    box.hidden = false;
    box.querySelector("form").addEventListener("submit", function (e) { e.preventDefault(); });
    input.addEventListener("input", function () {
      var query = input.value.trim();
      var mine = ++asked;
      if (!query) {
        list.textContent = "";
        status.textContent = "";
        return;
      }
      pagefind.search(query).then(function (found) {
        return Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); }));
      }).then(function (results) {
        if (mine !== asked) return; /* a newer query is on its way */
        list.textContent = "";
        results.forEach(function (data) { list.appendChild(resultItem(data)); });
        var n = results.length;
        status.textContent = n === 0 ? "No session found." : n + (n === 1 ? " session found." : " sessions found.");
      });
    });
  }

  /* The transcript passage holding the first hit: cues carry ids "cue-N-tSECONDS". */
  function moment(data) {
    var anchors = (data.anchors || []).slice().sort(function (a, b) { return a.location - b.location; });
    var locations = data.locations || [];
    for (var i = 0; i < locations.length; i++) {
      var at = null;
      for (var j = 0; j < anchors.length && anchors[j].location <= locations[i]; j++) at = anchors[j];
      var t = at && /^cue-\d+-t(\d+(?:\.\d+)?)$/.exec(at.id);
      if (t) return { seconds: parseFloat(t[1]), text: at.text };
    }
    return null;
  }

  function timestamp(seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    var ss = ("0" + (s % 60)).slice(-2);
    return h ? h + ":" + ("0" + m).slice(-2) + ":" + ss : m + ":" + ss;
  }

  /* Pagefind's excerpt as text and <mark> only (parsed inertly, never inserted as HTML). */
  function excerpt(html) {
    var p = document.createElement("p");
    p.className = "excerpt";
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    doc.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function resultItem(data) {
    var page = data.url.replace(/^\//, "").replace(/#.*$/, "");
    var li = document.createElement("li");
    var title = document.createElement("a");
    title.className = "result-title";
    title.href = page;
    title.textContent = (data.meta && data.meta.title) || page;
    li.appendChild(title);
    var at = moment(data);
    if (at) {
      var said = document.createElement("p");
      said.className = "said";
      var link = document.createElement("a");
      link.className = "moment";
      link.href = page + "#t=" + at.seconds;
      link.textContent = "Listen from " + timestamp(at.seconds);
      said.appendChild(link);
      said.appendChild(document.createTextNode(": " + at.text.replace(/^\d+(:\d+)+\s*/, "")));
      li.appendChild(said);
    } else {
      li.appendChild(excerpt(data.excerpt || ""));
    }
    return li;
  }
})();

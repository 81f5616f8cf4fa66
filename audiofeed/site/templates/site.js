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

  /* episodes/x.html#t=90 starts the player at 1:30. */
  var m = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
  if (m) seek(parseFloat(m[1]), false);
})();

/*
 * The lecture player page: the video with its captions and chapters, a chapter list, and SCORM 1.2 completion
 * reported when the video ends (see scorm12.js). Without an LMS it simply plays.
 */
(function () {
  "use strict";

  var body = document.body;
  var video = document.getElementById("lecture-video");
  var status = document.getElementById("player-status");
  var session = window.Scorm12.connect();

  body.setAttribute("data-scorm", session.connected ? "connected" : "standalone");

  function say(text) {
    status.textContent = text;
  }

  function clock(seconds) {
    var whole = Math.floor(seconds);
    var minutes = Math.floor(whole / 60);
    var rest = whole % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  video.addEventListener("ended", function () {
    body.setAttribute("data-completed", "true");
    say(session.complete() ? "Completed — your progress has been recorded." : "Completed.");
  });

  video.addEventListener("error", function () {
    var error = video.error;
    say("The video could not be played" + (error ? " (error " + error.code + ")" : "") + ".");
  });

  window.addEventListener("pagehide", function () {
    session.finish();
  });

  // Chapters: a list of buttons that jump to each section, the current one highlighted.
  var chaptersElement = document.querySelector('track[kind="chapters"]');
  var nav = document.getElementById("chapters");
  if (chaptersElement) {
    var track = chaptersElement.track;
    var items = [];
    track.mode = "hidden"; // load the cues without showing them over the picture

    var build = function () {
      var list = nav.querySelector("ol");
      if (items.length || !track.cues || !track.cues.length) {
        return;
      }
      for (var i = 0; i < track.cues.length; i++) {
        var cue = track.cues[i];
        var item = document.createElement("li");
        var button = document.createElement("button");
        var time = document.createElement("span");
        time.className = "time";
        time.textContent = clock(cue.startTime);
        button.type = "button";
        button.appendChild(time);
        button.appendChild(document.createTextNode(cue.text));
        button.addEventListener("click", (function (start) {
          return function () {
            video.currentTime = start;
            video.play();
          };
        })(cue.startTime));
        item.appendChild(button);
        list.appendChild(item);
        items.push({ item: item, cue: cue });
      }
      nav.hidden = false;
    };

    chaptersElement.addEventListener("load", build);
    if (chaptersElement.readyState === 2) {
      build();
    }
    track.addEventListener("cuechange", function () {
      var active = track.activeCues && track.activeCues[0];
      for (var i = 0; i < items.length; i++) {
        items[i].item.className = items[i].cue === active ? "current" : "";
      }
    });
  }
})();

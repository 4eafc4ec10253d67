/*
 * SCORM 1.2 run-time connection for the lecture player (no dependencies, works offline).
 *
 * The LMS provides an object named API in a window above the content. It is looked for by walking up
 * window.parent (at most MAX_DEPTH levels), then in window.opener and the windows above it (content launched in a
 * pop-up). When there is none, the page plays standalone and every call below does nothing.
 */
(function (global) {
  "use strict";

  var MAX_DEPTH = 10;

  function apiAbove(win) {
    for (var depth = 0; win && depth <= MAX_DEPTH; depth++) {
      try {
        if (win.API) {
          return win.API;
        }
      } catch (e) {
        return null; // a window of another origin: it cannot be the LMS that launched us
      }
      if (!win.parent || win.parent === win) {
        return null;
      }
      win = win.parent;
    }
    return null;
  }

  function findAPI(win) {
    var api = apiAbove(win);
    if (!api) {
      try {
        api = apiAbove(win.opener) || (win.top && apiAbove(win.top.opener));
      } catch (e) {
        api = null;
      }
    }
    return api || null;
  }

  function isTrue(result) {
    return result === true || String(result) === "true";
  }

  function pad(number, width) {
    var text = String(number);
    while (text.length < width) {
      text = "0" + text;
    }
    return text;
  }

  // CMITimespan: HHHH:MM:SS.SS
  function timespan(milliseconds) {
    var centis = Math.max(0, Math.round(milliseconds / 10));
    var hours = Math.floor(centis / 360000);
    var minutes = Math.floor((centis % 360000) / 6000);
    var seconds = Math.floor((centis % 6000) / 100);
    return pad(Math.min(hours, 9999), 4) + ":" + pad(minutes, 2) + ":" + pad(seconds, 2) + "." + pad(centis % 100, 2);
  }

  function Session(api) {
    this.api = api;
    this.connected = false;
    this.finished = false;
    this.startedAt = Date.now();
  }

  Session.prototype.call = function (name, args) {
    if (!this.api || typeof this.api[name] !== "function") {
      return "";
    }
    try {
      return this.api[name].apply(this.api, args);
    } catch (e) {
      if (global.console) {
        global.console.warn("SCORM " + name + " failed: " + e);
      }
      return "";
    }
  };

  Session.prototype.get = function (element) {
    return this.connected ? String(this.call("LMSGetValue", [element])) : "";
  };

  Session.prototype.set = function (element, value) {
    return this.connected && !this.finished && isTrue(this.call("LMSSetValue", [element, value]));
  };

  Session.prototype.commit = function () {
    return this.connected && !this.finished && isTrue(this.call("LMSCommit", [""]));
  };

  // LMSInitialize; a first attempt is marked incomplete until the video has been watched to the end.
  Session.prototype.start = function () {
    if (!this.api) {
      return false;
    }
    this.connected = isTrue(this.call("LMSInitialize", [""]));
    if (this.connected) {
      var status = this.get("cmi.core.lesson_status");
      if (status === "" || status === "not attempted") {
        this.set("cmi.core.lesson_status", "incomplete");
        this.commit();
      }
    }
    return this.connected;
  };

  // The video ended: report completion, commit and close the session.
  Session.prototype.complete = function () {
    if (!this.connected || this.finished) {
      return false;
    }
    if (this.get("cmi.core.lesson_status") !== "passed") {
      this.set("cmi.core.lesson_status", "completed");
    }
    this.set("cmi.core.exit", "");
    return this.finish();
  };

  // Close the session (also when the learner leaves before the end): session time, LMSCommit, LMSFinish.
  Session.prototype.finish = function () {
    if (!this.connected || this.finished) {
      return false;
    }
    this.set("cmi.core.session_time", timespan(Date.now() - this.startedAt));
    this.commit();
    this.finished = true;
    return isTrue(this.call("LMSFinish", [""]));
  };

  global.Scorm12 = {
    findAPI: findAPI,
    timespan: timespan,
    connect: function () {
      var session = new Session(findAPI(global));
      session.start();
      return session;
    }
  };
})(window);

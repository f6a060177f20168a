// Hearth's progressive enhancement: votes and comments without a page reload, reply forms in
// place, and copy buttons. Everything here also works without JavaScript (forms POST and
// redirect); this script only saves the reloads. It asks the server for HTML fragments with
// the X-Hearth-Fragment header and falls back to a plain form submission when anything fails.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var FRAGMENT_HEADERS = { "X-Hearth-Fragment": "1" };

  function body(form, submitter) {
    var data = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    return data;
  }

  // Posts a form for a fragment. Resolves to null when the server redirected instead (to the
  // sign-in page, say): the browser is sent there.
  function send(form, submitter) {
    return fetch(form.action, {
      method: "POST",
      body: body(form, submitter),
      headers: FRAGMENT_HEADERS,
      credentials: "same-origin"
    }).then(function (response) {
      if (response.redirected) {
        window.location.assign(response.url);
        return null;
      }
      return response.text().then(function (html) {
        return { ok: response.ok, html: html };
      });
    });
  }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  // Submits the form the ordinary way, without this script in the way.
  function fallBack(form, submitter) {
    form.setAttribute("data-plain", "");
    if (form.requestSubmit) {
      form.requestSubmit(submitter || undefined);
    } else {
      form.submit();
    }
  }

  function vote(form, submitter) {
    if (form.getAttribute("aria-busy") === "true") {
      return;
    }
    form.setAttribute("aria-busy", "true");
    var which = submitter && submitter.classList.contains("vote-down") ? ".vote-down" : ".vote-up";
    send(form, submitter).then(function (result) {
      if (!result) {
        return;
      }
      form.removeAttribute("aria-busy");
      var replacement = parse(result.html).querySelector(".vote");
      if (!result.ok || !replacement) {
        var message = parse(result.html).textContent.trim() || "Your vote could not be counted.";
        window.alert(message);
        return;
      }
      form.replaceWith(replacement);
      var button = replacement.querySelector(which);
      if (button) {
        button.focus();
      }
    }).catch(function () {
      form.removeAttribute("aria-busy");
      fallBack(form, submitter);
    });
  }

  function comment(form, submitter) {
    var slot = form.querySelector(".form-error-slot");
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    if (slot) {
      slot.textContent = "";
    }
    send(form, submitter).then(function (result) {
      if (!result) {
        return;
      }
      button.disabled = false;
      var fragment = parse(result.html);
      if (!result.ok) {
        if (slot) {
          slot.replaceChildren(fragment);
        }
        return;
      }
      var added = fragment.querySelector("li.comment");
      if (!added) {
        fallBack(form, submitter);
        return;
      }
      var parentId = form.querySelector("input[name=parent_id]").value;
      var list = null;
      if (parentId) {
        var parent = document.getElementById("c" + parentId);
        list = parent && parent.querySelector(":scope > details > ol.replies");
      } else {
        list = document.getElementById("thread");
        var none = document.getElementById("no-comments");
        if (none) {
          none.remove();
        }
      }
      if (!list) {
        window.location.reload();
        return;
      }
      list.prepend(added);
      if (form.classList.contains("reply-form")) {
        form.remove();
      } else {
        form.reset();
      }
      added.setAttribute("tabindex", "-1");
      added.focus();
    }).catch(function () {
      button.disabled = false;
      fallBack(form, submitter);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-plain")) {
      return;
    }
    if (form.hasAttribute("data-vote")) {
      event.preventDefault();
      vote(form, event.submitter);
    } else if (form.hasAttribute("data-comment-form")) {
      if (event.submitter && event.submitter.name === "preview") {
        // The preview is a page of its own (the form again, with the rendered comment).
        return;
      }
      event.preventDefault();
      comment(form, event.submitter);
    }
  });

  function openReply(link) {
    var template = document.getElementById("reply-template");
    var item = document.getElementById("c" + link.getAttribute("data-reply"));
    var details = item && item.querySelector(":scope > details");
    if (!template || !details) {
      return false;
    }
    var existing = details.querySelector(":scope > .reply-form");
    if (!existing) {
      existing = template.content.firstElementChild.cloneNode(true);
      var id = "reply-to-" + link.getAttribute("data-reply");
      existing.querySelector("input[name=parent_id]").value = link.getAttribute("data-reply");
      existing.querySelector("textarea").id = id;
      existing.querySelector("label").htmlFor = id;
      details.querySelector(":scope > .comment-actions").after(existing);
    }
    existing.querySelector("textarea").focus();
    return true;
  }

  function copy(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var text = source.textContent.trim();
    var done = function () {
      button.textContent = "Copied";
      window.setTimeout(function () {
        button.textContent = "Copy";
      }, 2000);
    };
    var select = function () {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, select);
    } else {
      select();
      if (document.execCommand && document.execCommand("copy")) {
        done();
      }
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var reply = target.closest("a[data-reply]");
    if (reply && openReply(reply)) {
      event.preventDefault();
      return;
    }
    var cancel = target.closest("[data-cancel]");
    if (cancel) {
      var form = cancel.closest("form");
      var item = form && form.closest("li.comment");
      if (form) {
        form.remove();
      }
      var link = item && item.querySelector(".reply-link");
      if (link) {
        link.focus();
      }
      return;
    }
    var copyButton = target.closest("button[data-copy]");
    if (copyButton) {
      copy(copyButton);
    }
  });

  // Menus made of <details> close when the visitor clicks elsewhere or presses Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });

  document.querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
    button.hidden = false;
  });

  // Events: the page says when in the organiser's zone; a reader elsewhere also sees it in
  // their own. The event form starts in the reader's zone rather than UTC.
  var readerZone = "";
  try {
    readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    readerZone = "";
  }
  function localRange(start, end) {
    var day = { weekday: "short", day: "numeric", month: "short", year: "numeric" };
    var clock = { hour: "2-digit", minute: "2-digit", hour12: false };
    var sameDay = start.toDateString() === end.toDateString();
    var text = start.toLocaleDateString(undefined, day) + ", " +
      start.toLocaleTimeString(undefined, clock) + (sameDay ? "–" : " – ");
    if (!sameDay) {
      text += end.toLocaleDateString(undefined, day) + ", ";
    }
    return text + end.toLocaleTimeString(undefined, clock);
  }
  document.querySelectorAll("time[data-event-start]").forEach(function (time) {
    var zone = time.getAttribute("data-event-zone");
    var start = new Date(time.getAttribute("data-event-start"));
    var end = new Date(time.getAttribute("data-event-end"));
    if (!readerZone || readerZone === zone || isNaN(start) || isNaN(end)) {
      return;
    }
    var local = document.createElement("span");
    local.className = "event-when-local";
    local.textContent = localRange(start, end) + " your time (" + readerZone + ")";
    time.insertAdjacentElement("afterend", local);
  });
  document.querySelectorAll("time[data-local-time]").forEach(function (time) {
    var at = new Date(time.getAttribute("datetime"));
    if (!readerZone || isNaN(at)) {
      return;
    }
    time.title = time.textContent;
    time.textContent = at.toLocaleString(undefined, {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short"
    });
  });
  document.querySelectorAll("select[data-time-zone]").forEach(function (select) {
    if (!readerZone || select.value !== "UTC" || select.closest("form").querySelector("#starts_at").value) {
      return;
    }
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === readerZone;
    });
    if (!known) {
      var option = document.createElement("option");
      option.value = readerZone;
      option.textContent = readerZone;
      select.insertBefore(option, select.firstChild);
    }
    select.value = readerZone;
  });
})();

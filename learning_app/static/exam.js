/* The exam page: drives /api/quiz/ (start or resume, autosave, submit).
   The server owns the clock; this page only counts down between re-syncs. */
(function () {
  "use strict";
  var root = document.getElementById("exam");
  if (!root) { return; }
  var API = "/api/quiz";
  var testId = root.getAttribute("data-test-id");
  var csrf = root.getAttribute("data-csrf");
  var viewAttempt = root.getAttribute("data-attempt-id");
  var $ = function (id) { return document.getElementById(id); };
  var LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

  var data = null;          // the attempt payload
  var answers = {};         // position -> response as the member gave it
  var queue = {};           // position -> response not yet saved
  var inflight = {};        // position -> true while a save is on the wire
  var failed = false;       // a save failed and waits for a retry
  var retryTimer = null;
  var deadline = null;      // Date.now() milliseconds when time runs out, or null
  var tickTimer = null;
  var syncTimer = null;
  var finished = false;
  var submitting = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error(json.error || ("请求失败（" + response.status + "）"));
          error.status = response.status;
          throw error;
        }
        return json;
      });
    });
  }

  function status(text, isError) {
    var node = $("exam-status");
    node.hidden = !text;
    node.textContent = text || "";
    node.className = "card" + (isError ? " exam-error" : "");
  }

  function isAnswered(value) {
    if (value === null || value === undefined) { return false; }
    if (Array.isArray(value)) { return value.length > 0; }
    if (typeof value === "string") { return value.trim() !== ""; }
    return true;
  }

  function judgeKey(value) {
    if (value === true || value === "true") { return "true"; }
    if (value === false || value === "false") { return "false"; }
    return null;
  }

  // -- the clock -------------------------------------------------------------
  function setRemaining(seconds) {
    deadline = (seconds === null || seconds === undefined) ? null : Date.now() + seconds * 1000;
    tick();
  }

  function remaining() {
    return deadline === null ? null : Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  }

  function tick() {
    var timer = $("exam-timer");
    var left = remaining();
    if (left === null) {
      timer.textContent = "不限时";
      timer.removeAttribute("data-seconds");
      return;
    }
    var m = Math.floor(left / 60), s = left % 60;
    timer.textContent = "剩余 " + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    timer.setAttribute("data-seconds", String(left));
    var warn = left <= 300;
    timer.classList.toggle("warning", warn);
    $("exam-time-warning").hidden = !warn || finished;
    if (left === 0 && !finished) { doSubmit(true); }
  }

  function resync() {
    if (!data || finished) { return; }
    request("GET", API + "/attempts/" + data.attempt_id).then(function (fresh) {
      if (fresh.status !== "open") { showResult(fresh); return; }
      setRemaining(fresh.remaining_seconds);
    }).catch(function () { /* keep counting; the next minute tries again */ });
  }

  // -- saving ------------------------------------------------------------------
  function mark(position, text, kind) {
    var node = document.querySelector("#q-" + position + " .exam-saved");
    if (!node) { return; }
    node.textContent = text;
    node.setAttribute("data-state", kind);
  }

  function showFailure(on) {
    failed = on;
    $("exam-save-error").hidden = !on;
  }

  function pendingCount() {
    return Object.keys(queue).length + Object.keys(inflight).length;
  }

  function record(position, value) {
    answers[position] = value;
    queue[position] = value;
    mark(position, "保存中…", "saving");
    updateSheet();
    flush();
  }

  // Practice sets only: the server says at once whether the answer was right.
  function showFeedback(position, item) {
    var card = document.getElementById("q-" + position);
    if (!card) { return; }
    var old = card.querySelector(".exam-feedback");
    if (old) { old.parentNode.removeChild(old); }
    var q = null;
    data.questions.forEach(function (each) { if (each.position === position) { q = each; } });
    var right = item.fraction >= 1;
    var box = el("div", { "class": "exam-feedback " + (right ? "right" : "wrong") });
    box.appendChild(el("p", { "class": right ? "ok" : "bad" }, right ? "回答正确" : "回答错误"));
    if (!right && q) { box.appendChild(el("p", {}, "正确答案：" + formatAnswer(q, item.answer))); }
    if (item.explanation) { box.appendChild(el("p", { "class": "hint" }, "解析：" + item.explanation)); }
    card.appendChild(box);
  }

  function flush() {
    if (finished) { return Promise.resolve(); }
    var jobs = Object.keys(queue).filter(function (p) { return !inflight[p]; }).map(saveOne);
    return Promise.all(jobs);
  }

  function saveOne(position) {
    var value = queue[position];
    inflight[position] = true;
    delete queue[position];
    var body = { response: isAnswered(value) ? value : null };
    return request("PUT", API + "/attempts/" + data.attempt_id + "/answers/" + position, body)
      .then(function (reply) {
        delete inflight[position];
        if (!(position in queue)) { mark(position, "已保存", "saved"); }
        if (reply && reply.feedback) { showFeedback(position, reply.feedback); }
        if (!Object.keys(queue).length && failed) { showFailure(false); }
        if (position in queue) { return saveOne(position); }
      }, function (error) {
        delete inflight[position];
        if (error.status === 409) {  // the attempt ended on the server
          finishFromServer();
          return;
        }
        if (error.status === 400 || error.status === 404) {
          mark(position, "答案无法保存：" + error.message, "error");
          return;
        }
        if (!(position in queue)) { queue[position] = value; }
        mark(position, "未保存", "error");
        showFailure(true);
        scheduleRetry();
      });
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, 5000);
  }

  function finishFromServer() {
    request("GET", API + "/attempts/" + data.attempt_id).then(showResult, function (error) {
      status(error.message, true);
    });
  }

  // -- rendering ---------------------------------------------------------------
  function optionLabel(question, key, lettered) {
    var options = question.options || [];
    for (var i = 0; i < options.length; i++) {
      if (String(options[i].key) === String(key)) {
        return (lettered ? LETTERS[i] + ". " : "") + options[i].text;
      }
    }
    return String(key);
  }

  // Shared by the option types: one radio or checkbox per presented option.
  // `how` is the type's renderer entry: multiple, lettered, checked(saved, key), read(list, key).
  function optionList(question, pos, saved, how) {
    var list = el("div", { "class": "exam-options", role: how.multiple ? "group" : "radiogroup" });
    (question.options || []).forEach(function (option, i) {
      var key = String(option.key);
      var label = el("label", { "class": "exam-option" });
      var box = el("input", { type: how.multiple ? "checkbox" : "radio", name: "q-" + pos,
        value: key });
      box.checked = how.checked(saved, key);
      label.appendChild(box);
      if (how.lettered) {
        label.appendChild(el("span", { "class": "exam-letter" }, LETTERS[i]));
      }
      label.appendChild(el("span", { "class": "exam-option-text" }, option.text));
      box.addEventListener("change", function () { record(pos, how.read(list, key)); });
      list.appendChild(label);
    });
    return list;
  }

  function optionsText(question, answer) {
    var keys = Array.isArray(answer) ? answer : [answer];
    return keys.map(function (k) { return optionLabel(question, k, true); }).join("；");
  }

  // One renderer per question type, the browser's half of the server's type
  // registry (learning_app/quiz/types): a new type adds one entry here.
  //   input(question, pos, saved): the control, which records the member's responses;
  //   read(control, key): the response the control now holds;
  //   text(question, answer): a non-empty response or key as shown in feedback and review.
  var RENDERERS = {
    single: {
      multiple: false,
      lettered: true,
      input: function (question, pos, saved) { return optionList(question, pos, saved, this); },
      checked: function (saved, key) { return saved === key; },
      read: function (list, key) { return key; },
      text: optionsText
    },
    multiple: {
      multiple: true,
      lettered: true,
      input: function (question, pos, saved) { return optionList(question, pos, saved, this); },
      checked: function (saved, key) { return Array.isArray(saved) && saved.indexOf(key) >= 0; },
      read: function (list) {
        var picked = [];
        list.querySelectorAll("input:checked").forEach(function (b) { picked.push(b.value); });
        return picked.length ? picked : null;
      },
      text: optionsText
    },
    judge: {
      multiple: false,
      lettered: false,
      input: function (question, pos, saved) { return optionList(question, pos, saved, this); },
      checked: function (saved, key) { return judgeKey(saved) === key; },
      read: function (list, key) { return key === "true"; },
      text: function (question, answer) {
        var key = judgeKey(answer);
        return key ? optionLabel(question, key, false) : String(answer);
      }
    },
    blank: {
      input: function (question, pos, saved) {
        var self = this;
        var input = el("input", { type: "text", name: "q-" + pos, maxlength: "200",
          autocomplete: "off", "aria-label": "第" + pos + "题答案", placeholder: "请输入答案" });
        input.className = "exam-blank";
        if (isAnswered(saved)) { input.value = String(saved); }
        var debounce = null;
        var send = function () {
          if (debounce) { clearTimeout(debounce); debounce = null; }
          var value = self.read(input);
          if ((answers[pos] || "") === (value || "")) { return; }
          record(pos, value);
        };
        input.addEventListener("input", function () {
          if (debounce) { clearTimeout(debounce); }
          mark(pos, "输入中…", "typing");
          debounce = setTimeout(send, 600);
        });
        input.addEventListener("blur", send);
        return input;
      },
      read: function (input) {
        var value = input.value.trim();
        return value === "" ? null : value;
      },
      text: function (question, answer) {
        return Array.isArray(answer) ? answer.join(" 或 ") : String(answer);
      }
    }
  };

  // An unknown type (or the review's placeholder for a missing question) is
  // shown as a single choice, as this page always did.
  function rendererFor(question) {
    return RENDERERS.hasOwnProperty(question.type) ? RENDERERS[question.type] : RENDERERS.single;
  }

  function renderQuestion(question) {
    var pos = question.position;
    var card = el("section", { "class": "card exam-q", id: "q-" + pos,
      "data-position": String(pos), "data-type": question.type });
    var head = el("p", { "class": "exam-q-head" });
    head.appendChild(el("strong", {}, "第" + pos + "题"));
    head.appendChild(el("span", { "class": "hint" },
      " " + (question.type_label || "") + " · " + question.points + "分"));
    head.appendChild(el("span", { "class": "exam-saved", "data-state": "none" }, ""));
    card.appendChild(head);
    card.appendChild(el("p", { "class": "exam-stem" }, question.stem));
    card.appendChild(rendererFor(question).input(question, pos, answers[pos]));
    if (pos in data.responses) { setTimeout(function () { mark(pos, "已保存", "saved"); }, 0); }
    return card;
  }

  function updateSheet() {
    if (!data) { return; }
    var done = 0;
    data.questions.forEach(function (q) {
      var on = isAnswered(answers[q.position]);
      if (on) { done += 1; }
      var button = document.querySelector("#exam-sheet-grid [data-position='" + q.position + "']");
      if (button) {
        button.classList.toggle("answered", on);
        button.setAttribute("aria-label", "第" + q.position + "题 " + (on ? "已答" : "未答"));
      }
    });
    $("exam-progress").textContent = "已答 " + done + "/" + data.questions.length;
  }

  function renderExam() {
    var holder = $("exam-questions");
    holder.textContent = "";
    var grid = $("exam-sheet-grid");
    grid.textContent = "";
    data.questions.forEach(function (q) {
      holder.appendChild(renderQuestion(q));
      var button = el("button", { type: "button", "data-position": String(q.position) },
        String(q.position));
      button.addEventListener("click", function () {
        var target = $("q-" + q.position);
        if (window.matchMedia("(max-width: 40rem)").matches) { $("exam-sheet").hidden = true; }
        target.scrollIntoView({ behavior: "smooth", block: "start" });
        var first = target.querySelector("input");
        if (first) { first.focus({ preventScroll: true }); }
      });
      grid.appendChild(button);
    });
    $("exam-top").hidden = false;
    $("exam-actions").hidden = false;
    status("");
    updateSheet();
    tick();
  }

  // -- submitting --------------------------------------------------------------
  function unanswered() {
    return data.questions.filter(function (q) { return !isAnswered(answers[q.position]); })
      .map(function (q) { return q.position; });
  }

  function askSubmit() {
    var missing = unanswered();
    $("exam-confirm-text").textContent = missing.length
      ? "还有 " + missing.length + " 道题未作答：第 " + missing.join("、") + " 题。交卷后不能再修改。"
      : "全部题目都已作答。交卷后不能再修改。";
    $("exam-confirm").hidden = false;
    $("exam-confirm-ok").focus();
  }

  function doSubmit(automatic) {
    if (submitting || finished || !data) { return; }
    submitting = true;
    $("exam-confirm").hidden = true;
    $("exam-submit").disabled = true;
    status(automatic ? "时间到，正在自动交卷……" : "正在交卷……");
    flush().then(function () {
      return request("POST", API + "/attempts/" + data.attempt_id + "/submit");
    }).then(showResult, function (error) {
      submitting = false;
      $("exam-submit").disabled = false;
      status("交卷失败：" + error.message + "。请检查网络后再点“交卷”。", true);
      if (automatic) { setTimeout(function () { doSubmit(true); }, 5000); }
    });
  }

  function formatAnswer(question, answer) {
    if (answer === null || answer === undefined || answer === "") { return "（未作答）"; }
    return rendererFor(question).text(question, answer);
  }

  function showResult(result) {
    finished = true;
    submitting = false;
    if (tickTimer) { clearInterval(tickTimer); }
    if (syncTimer) { clearInterval(syncTimer); }
    if (retryTimer) { clearTimeout(retryTimer); }
    data = result;
    ["exam-top", "exam-actions", "exam-sheet", "exam-confirm", "exam-time-warning",
      "exam-save-error"].forEach(function (id) { $(id).hidden = true; });
    $("exam-questions").textContent = "";
    status("");
    var box = $("exam-result");
    box.textContent = "";
    var summary = el("div", { "class": "card exam-score", "data-testid": "result" });
    summary.appendChild(el("h2", {}, result.status === "expired" ? "时间到，已自动交卷" : "已交卷"));
    var line = el("p", { "class": "big" });
    line.appendChild(el("strong", { "data-testid": "score" }, String(result.score)));
    line.appendChild(document.createTextNode(" / " + result.max_score + " 分"));
    summary.appendChild(line);
    summary.appendChild(el("p", { "class": "exam-verdict " + (result.passed ? "ok" : "bad"),
      "data-testid": "verdict" }, result.passed ? "合格" : "不合格"));
    if (!result.review) {
      summary.appendChild(el("p", { "class": "hint" }, "正确答案和解析将在测试结束后公布。"));
    }
    var back = el("a", { "class": "button", href: root.getAttribute("data-list-url") }, "返回测试列表");
    summary.appendChild(back);
    box.appendChild(summary);
    if (result.review) {
      var byPos = {};
      result.questions.forEach(function (q) { byPos[q.position] = q; });
      var mine = result.responses || {};
      result.review.forEach(function (item) {
        var q = byPos[item.position] || { type: "", stem: "", options: [] };
        var right = item.fraction >= 1;
        var card = el("section", { "class": "card exam-review " + (right ? "right" : "wrong"),
          id: "r-" + item.position });
        var head = el("p", { "class": "exam-q-head" });
        head.appendChild(el("strong", {}, "第" + item.position + "题"));
        head.appendChild(el("span", { "class": right ? "ok" : "bad" },
          " " + (right ? "正确" : (item.fraction > 0 ? "部分正确" : "错误")) +
          " · 得 " + item.points + " 分"));
        card.appendChild(head);
        card.appendChild(el("p", { "class": "exam-stem" }, q.stem));
        card.appendChild(el("p", {}, "你的答案：" + formatAnswer(q, mine[String(item.position)])));
        card.appendChild(el("p", { "class": "exam-right" }, "正确答案：" + formatAnswer(q, item.answer)));
        if (item.explanation) {
          card.appendChild(el("p", { "class": "hint" }, "解析：" + item.explanation));
        }
        box.appendChild(card);
      });
    }
    box.hidden = false;
    window.scrollTo(0, 0);
  }

  // -- start -------------------------------------------------------------------
  function begin(payload) {
    data = payload;
    answers = {};
    Object.keys(payload.responses || {}).forEach(function (k) { answers[k] = payload.responses[k]; });
    if (payload.status !== "open") { showResult(payload); return; }
    setRemaining(payload.remaining_seconds);
    renderExam();
    tickTimer = setInterval(tick, 1000);
    syncTimer = setInterval(resync, 60000);
  }

  $("exam-submit").addEventListener("click", askSubmit);
  $("exam-confirm-cancel").addEventListener("click", function () { $("exam-confirm").hidden = true; });
  $("exam-confirm-ok").addEventListener("click", function () { doSubmit(false); });
  $("exam-retry").addEventListener("click", function () {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    flush();
  });
  $("exam-card-toggle").addEventListener("click", function () {
    $("exam-sheet").hidden = !$("exam-sheet").hidden;
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { resync(); }
  });
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("beforeunload", function (event) {
    if (!finished && pendingCount()) { event.preventDefault(); event.returnValue = ""; }
  });

  var loading = viewAttempt
    ? request("GET", API + "/attempts/" + viewAttempt)
    : request("POST", API + "/tests/" + encodeURIComponent(testId) + "/attempts");
  loading.then(begin, function (error) {
    status(error.message || "加载失败，请刷新页面重试。", true);
  });
})();

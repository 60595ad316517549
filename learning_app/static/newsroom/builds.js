/* 网站更新记录: while the latest build is queued or building, ask the server for its
   status every few seconds and update its card in place (the status line is a live
   region, so a screen reader hears the change). Stops once the build is live or
   failed, when the session is gone, or after a long time. No inline code: the card
   carries the status URL in data-poll (the CSP allows scripts from 'self' only). */
(function () {
  'use strict';
  var card = document.querySelector('[data-poll]');
  if (!card || !window.fetch) return;

  var url = card.getAttribute('data-poll');
  var EVERY_MS = 3000, HIDDEN_MS = 15000, ERROR_MS = 10000;
  var MAX_ERRORS = 30, GIVE_UP_MS = 2 * 60 * 60 * 1000;
  var started = Date.now(), errors = 0, lastStatus = null;

  function field(name) { return card.querySelector('[data-field="' + name + '"]'); }

  function setText(name, text) {
    var el = field(name);
    if (el) el.textContent = text;
  }

  function show(name, visible) {
    var el = field(name);
    if (el) el.hidden = !visible;
  }

  function announce(text) { setText('announce', text); }

  function apply(data) {
    if (!data || !data.status) return false;
    setText('label', data.label || '');
    card.className = card.className.replace(/\bbuild-(queued|building|live|failed)\b/,
                                            'build-' + data.status);
    if (data.started_at) setText('started', data.started_at);
    if (data.status === lastStatus && (data.status === 'queued' || data.status === 'building')) {
      return true;
    }
    lastStatus = data.status;
    if (data.status === 'queued') {
      announce('正在排队，等前一次更新完成后开始。本页会自动刷新状态。');
      return true;
    }
    if (data.status === 'building') {
      announce('正在生成网站，通常需要几分钟。本页会自动刷新状态。');
      return true;
    }
    if (data.finished_at) setText('finished', data.finished_at);
    var error = data.error || '';
    var cut = error.indexOf('\n\n');
    var head = cut < 0 ? error : error.slice(0, cut);
    var rest = cut < 0 ? '' : error.slice(cut + 2);
    if (data.status === 'failed') {
      setText('summary', head);
      setText('report', rest);
      show('details', rest.length > 0);
      show('failure', true);
      announce('这次更新失败，线上网站保持原样。刷新本页可以看到逐条的修改提示。');
    } else if (data.status === 'live') {
      show('live', true);
      announce(error ? '网站已经更新上线，但有需要注意的地方：' + head : '网站已经更新上线。');
    }
    return false;
  }

  function next(delay) {
    if (Date.now() - started > GIVE_UP_MS) {
      announce('已经很久没有完成，本页不再自动刷新；请稍后手动刷新本页查看。');
      return;
    }
    window.setTimeout(check, document.hidden ? Math.max(delay, HIDDEN_MS) : delay);
  }

  function check() {
    fetch(url, {credentials: 'same-origin', cache: 'no-store',
                headers: {'Accept': 'application/json'}})
      .then(function (response) {
        if (response.status === 401 || response.status === 403 ||
            response.redirected) {
          announce('登录已经失效，请刷新本页后重新登录。');
          return null;
        }
        if (!response.ok) throw new Error('status ' + response.status);
        return response.json().then(function (data) {
          errors = 0;
          if (apply(data)) next(EVERY_MS);
        });
      })
      .catch(function () {
        errors += 1;
        if (errors >= MAX_ERRORS) {
          announce('暂时无法获取最新状态，请检查网络后刷新本页。');
          return;
        }
        next(ERROR_MS);
      });
  }

  next(EVERY_MS);
})();

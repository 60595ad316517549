/* The newsroom's editor: templates/newsroom/new.html, edit.html and _fields.html.
 *
 * Progressive: every page works as plain forms without this file (the body is a
 * <textarea>, uploads post and redirect, the preview width is a CSS switch).
 * With it: the Markdown editor, autosave (server and this device), restoring
 * unsaved typing, uploads inserted at the cursor, a live preview.
 *
 * Why EasyMDE 2.21.0 (static/vendor/easymde-2.21.0), measured on the npm packages
 * in Debian's chromium under the app's policy (script-src 'self'; style-src 'self'):
 * - EasyMDE: 327 KB JS (107 KB gzipped) + 13 KB CSS, CodeMirror 5 and marked
 *   inside, one file, no build step. No CSP violation: it styles through the
 *   CSSOM; its only style attribute is in previewImagesInEditor (left off), and
 *   its only outside hosts are the Font Awesome download and the spell-check
 *   dictionary (both turned off below). Every visible text is ours to give (the
 *   toolbar below has Chinese text labels instead of icon fonts; the status bar,
 *   prompts and its own preview are not used). It enhances the <textarea> in place
 *   (forceSync), so the form posts the same field with or without it.
 * - Vditor 4.0.0: Chinese UI built in, but 297 KB JS + the Lute engine 3.7 MB
 *   (594 KB gzipped) that every mode needs, fetched at run time from a CDN unless
 *   `cdn` is set; under the policy chromium refused its inline styles (5) and an
 *   inline script on load. Too heavy for a village phone, and not CSP-clean.
 * - Toast UI Editor 3.2.2: 962 KB JS (196 KB gzipped) + 173 KB CSS, not minified
 *   in the npm package, and its npm build expects a bundler (ProseMirror left
 *   external: it fails to start from a plain <script>); its WYSIWYG view writes
 *   style attributes through innerHTML; no release since 2023.
 * EasyMDE is maintained (a 3.0 line in beta), MIT, and the smallest that is clean.
 */
(function () {
  'use strict';

  var FIELDS = ['title', 'date', 'category', 'department', 'tags', 'summary', 'credit'];
  var AUTOSAVE_DELAY = 3000;  // after typing stops
  var LOCAL_DELAY = 400;      // the copy on this device: nearly every keystroke
  var KEEPALIVE_LIMIT = 60000; // fetch keepalive bodies are capped at 64 KB

  // autosave.fingerprint's hash: 32-bit FNV-1a over the UTF-16 code units of the
  // fields (in FIELDS order, joined by U+001F), U+001E and the body.
  function fingerprint(copy) {
    var fm = copy.front_matter || {};
    var text = FIELDS.map(function (name) { return fm[name] == null ? '' : String(fm[name]); })
      .join('\u001f') + '\u001e' + (copy.body || '');
    var hash = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return ('0000000' + hash.toString(16)).slice(-8);
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function clock(ms) { var d = new Date(ms); return pad(d.getHours()) + ':' + pad(d.getMinutes()); }

  // -- a new article: the category is the column's; the suggested id follows the section
  function setupNewForm() {
    var form = document.getElementById('new-form');
    if (!form) { return; }
    var id = document.getElementById('f-id');
    var radios = form.querySelectorAll('input[name=section]');
    var start = form.querySelector('input[name=section]:checked');
    var touched = !start || id.value !== start.getAttribute('data-suggest');
    id.addEventListener('input', function () { touched = true; });
    function apply() {
      var checked = form.querySelector('input[name=section]:checked');
      var section = checked ? checked.value : '';
      form.querySelectorAll('[data-section-only]').forEach(function (el) {
        el.hidden = el.getAttribute('data-section-only') !== section;
      });
      if (!touched && checked) { id.value = checked.getAttribute('data-suggest'); }
    }
    radios.forEach(function (radio) { radio.addEventListener('change', apply); });
    apply();
  }

  // -- the editor page -------------------------------------------------------------
  function setupEditor() {
    var form = document.getElementById('draft-form');
    var textarea = document.getElementById('f-body');
    if (!form || !textarea) { return; }
    var data = textarea.dataset;
    var csrf = form.querySelector('input[name=csrf_token]').value;
    var base = data.baseRevision || '';
    var localKey = data.localKey || '';
    var statusEl = document.getElementById('autosave-status');
    var mde = null;

    function body() { return mde ? mde.value() : textarea.value; }
    function setBody(text) { if (mde) { mde.value(text); } else { textarea.value = text; } }
    function field(name) {
      if (name === 'category') {
        var checked = form.querySelector('input[name=category]:checked');
        return checked ? checked.value : '';
      }
      var el = form.elements.namedItem(name);
      return el && typeof el.value === 'string' ? el.value : '';
    }
    function setField(name, value) {
      if (name === 'category') {
        form.querySelectorAll('input[name=category]').forEach(function (radio) {
          radio.checked = radio.value === value;
        });
        return;
      }
      var el = form.elements.namedItem(name);
      if (el && typeof el.value === 'string') { el.value = value || ''; }
    }
    function snapshot() {
      var fm = {};
      FIELDS.forEach(function (name) { fm[name] = field(name); });
      return {front_matter: fm, body: body()};
    }
    function say(text, warn) {
      if (!statusEl) { return; }
      statusEl.textContent = text;
      statusEl.classList.toggle('warn', !!warn);
    }

    if (window.EasyMDE) { mde = makeEditor(textarea); }

    // What the page showed when it opened: the saved revision, unless a refused save
    // or a restored buffer put other text in it.
    var opened = JSON.stringify(snapshot());
    var savedText = form.hasAttribute('data-unsaved') ? null : opened;
    var lastSent = opened;
    var autosaveTimer = null;
    var localTimer = null;
    var leaving = false;

    // -- this device's copy
    function readLocal() {
      if (!localKey) { return null; }
      try { return JSON.parse(window.localStorage.getItem(localKey) || 'null'); } catch (e) { return null; }
    }
    function writeLocal() {
      if (!localKey) { return; }
      var snap = snapshot();
      try {
        window.localStorage.setItem(localKey, JSON.stringify({
          base: base, savedAt: Date.now(), front_matter: snap.front_matter, body: snap.body}));
      } catch (e) { /* full or private mode: the server copy still works */ }
    }
    function removeLocal() {
      if (!localKey) { return; }
      try { window.localStorage.removeItem(localKey); } catch (e) { /* nothing to remove */ }
    }

    // -- the server's copy
    function autosave(hiding) {
      var snap = snapshot();
      var text = JSON.stringify(snap);
      if (text === lastSent || !data.autosaveUrl) { return; }
      writeLocal();
      var payload = JSON.stringify({base_revision_id: Number(base), front_matter: snap.front_matter,
                                    body: snap.body});
      var options = {method: 'POST', credentials: 'same-origin', body: payload,
                     headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                               'X-CSRFToken': csrf}};
      if (hiding && payload.length < KEEPALIVE_LIMIT) { options.keepalive = true; }
      fetch(data.autosaveUrl, options).then(function (response) {
        var type = response.headers.get('Content-Type') || '';
        if (type.indexOf('application/json') === -1) { throw new Error('session'); }
        return response.json().then(function (answer) { return {ok: response.ok, answer: answer}; });
      }).then(function (result) {
        if (!result.ok) {
          say((result.answer && result.answer.error) || '自动保存没有成功，内容已暂存在本机', true);
          return;
        }
        lastSent = text;
        if (result.answer.moved) { say(result.answer.message, true); } else {
          say('已自动保存 ' + result.answer.saved_at);
        }
        showDraftPreview();
      }).catch(function (error) {
        if (error && error.message === 'session') {
          say('登录已过期，内容已暂存在本机。请重新登录后回到这里恢复。', true);
        } else {
          say('网络断开，内容已暂存在本机（' + clock(Date.now()) + '）', true);
        }
      });
    }
    function changed() {
      clearTimeout(localTimer);
      localTimer = setTimeout(writeLocal, LOCAL_DELAY);
      clearTimeout(autosaveTimer);
      autosaveTimer = setTimeout(function () { autosave(false); }, AUTOSAVE_DELAY);
      hideSubmitWarning();
    }
    form.addEventListener('input', changed);
    form.addEventListener('change', changed);
    if (mde) { mde.codemirror.on('change', changed); }
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden' && !leaving) { writeLocal(); autosave(true); }
    });
    window.addEventListener('pagehide', function () { if (!leaving) { writeLocal(); autosave(true); } });
    window.addEventListener('online', function () { autosave(false); });
    form.addEventListener('submit', function () {
      // The save itself carries the text; the copy here stays until the next page
      // shows it saved (then it equals the page and is dropped).
      leaving = true;
      writeLocal();
    });
    document.querySelectorAll('form[data-discard]').forEach(function (discard) {
      discard.addEventListener('submit', function () { leaving = true; removeLocal(); });
    });

    // -- offer back what this device kept, when it isn't what the page shows
    (function offerLocal() {
      var local = readLocal();
      if (!local || typeof local.body !== 'string') { return; }
      var kept = JSON.stringify({front_matter: local.front_matter, body: local.body});
      if (kept === opened) { removeLocal(); return; }
      // The server's offer on the page is the same text: one offer is enough.
      if (data.bufferHash && fingerprint(local) === data.bufferHash) { return; }
      var template = document.getElementById('local-restore');
      if (!template) { return; }
      var banner = template.content.firstElementChild.cloneNode(true);
      var when = '这台设备上暂存了' + clock(local.savedAt) + '的修改，还没有保存成新版本。';
      if (String(local.base) !== String(base)) {
        when += '这些修改是在较早的版本上做的，之后稿件已被保存过；恢复后请核对再保存。';
      }
      banner.querySelector('[data-local-when]').textContent = when;
      banner.querySelector('[data-local-restore]').addEventListener('click', function () {
        FIELDS.forEach(function (name) {
          if (local.front_matter && name in local.front_matter) { setField(name, local.front_matter[name]); }
        });
        setBody(local.body);
        banner.remove();
        say('已恢复未保存的内容，请检查后点“保存”。');
        changed();
      });
      banner.querySelector('[data-local-discard]').addEventListener('click', function () {
        removeLocal();
        banner.remove();
      });
      var layout = document.querySelector('.edit-layout');
      layout.parentNode.insertBefore(banner, layout);
    }());

    // -- preview: the autosaved text, once this page has autosaved
    var frame = document.getElementById('preview-frame');
    var hint = document.getElementById('preview-hint');
    function showDraftPreview() {
      if (!frame || !frame.getAttribute('data-draft-src')) { return; }
      frame.src = frame.getAttribute('data-draft-src') + '&t=' + Date.now();
      if (hint) { hint.textContent = '按网站的样式显示正在修改的内容（每次自动保存后更新）。'; }
    }

    // -- uploads: the Markdown goes in at the cursor
    function insertMarkdown(markdown) {
      var block = '\n\n' + markdown + '\n\n';
      if (mde) {
        mde.codemirror.replaceSelection(block);
        mde.codemirror.focus();
      } else {
        textarea.setRangeText(block, textarea.selectionStart, textarea.selectionEnd, 'end');
        textarea.focus();
      }
      changed();
    }
    document.querySelectorAll('form[data-upload]').forEach(function (upload) {
      var picker = upload.querySelector('input[type=file]');
      var chosen = upload.querySelector('[data-file-name]');
      if (picker && chosen) {
        picker.addEventListener('change', function () {
          chosen.textContent = picker.files && picker.files.length ? '已选：' + picker.files[0].name : '';
        });
        upload.addEventListener('reset', function () { chosen.textContent = ''; });
      }
      upload.addEventListener('submit', function (event) {
        event.preventDefault();
        var out = upload.querySelector('[data-upload-status]');
        var button = upload.querySelector('button[type=submit]');
        out.className = 'upload-status';
        out.textContent = '正在上传，请稍候……';
        button.disabled = true;
        fetch(upload.action, {method: 'POST', body: new FormData(upload), credentials: 'same-origin',
                              headers: {'Accept': 'application/json', 'X-CSRFToken': csrf}})
          .then(function (response) {
            var type = response.headers.get('Content-Type') || '';
            if (type.indexOf('application/json') === -1) { throw new Error('session'); }
            return response.json().then(function (answer) { return {ok: response.ok, answer: answer}; });
          })
          .then(function (result) {
            if (!result.ok) {
              out.className = 'upload-status error';
              out.textContent = result.answer.error || '上传没有成功，请重试。';
              return;
            }
            insertMarkdown(result.answer.markdown);
            out.textContent = result.answer.message;
            upload.reset();
          })
          .catch(function () {
            out.className = 'upload-status error';
            out.textContent = '上传没有成功：文件太大、网络断开或登录已过期。请稍后再试。';
          })
          .then(function () { button.disabled = false; });
      });
    });

    // -- submission sends the saved revision: say so when there are unsaved changes
    var submitForm = document.getElementById('submit-form');
    var warning = submitForm && submitForm.querySelector('[data-submit-warning]');
    function hideSubmitWarning() { if (warning) { warning.hidden = true; } }
    if (submitForm) {
      submitForm.addEventListener('submit', function (event) {
        if (savedText !== null && JSON.stringify(snapshot()) === savedText) { leaving = true; return; }
        event.preventDefault();
        warning.textContent = '有修改还没有保存成新版本：请先点“保存”，再送审。';
        warning.hidden = false;
      });
    }

    // -- marks: the lines the validator named, and the 错敏词
    if (mde) { markProblems(mde.codemirror, data.hits || ''); }
  }

  function makeEditor(textarea) {
    var E = window.EasyMDE;
    var mde = new E({
      element: textarea,
      autoDownloadFontAwesome: false,  // no outside host
      spellChecker: false,             // its dictionary comes from a CDN, and is English
      nativeSpellcheck: false,
      previewImagesInEditor: false,    // writes style attributes
      status: false,
      toolbarTips: false,              // English key names in tooltips; labels are visible
      uploadImage: false,              // our own upload, with its required alt text
      promptURLs: false,
      lineNumbers: true,               // errors say 第N行
      forceSync: true,                 // the <textarea> posts the text, as without script
      indentWithTabs: false,
      tabSize: 4,                      // admonitions and nested lists indent by 4
      minHeight: '22rem',
      placeholder: '在这里写正文……',
      insertTexts: {
        link: ['[', '](https://)'],
        table: ['', '\n\n| 列一 | 列二 | 列三 |\n| --- | --- | --- |\n| 内容 | 内容 | 内容 |\n\n'],
        horizontalRule: ['', '\n\n-----\n\n']
      },
      toolbar: [
        {name: 'dj-bold', action: E.toggleBold, text: '加粗', title: '加粗'},
        {name: 'dj-heading', action: E.toggleHeading2, text: '小标题', title: '小标题'},
        {name: 'dj-quote', action: E.toggleBlockquote, text: '引用', title: '引用'},
        {name: 'dj-list', action: E.toggleUnorderedList, text: '列表', title: '列表'},
        {name: 'dj-numbers', action: E.toggleOrderedList, text: '编号', title: '编号列表'},
        {name: 'dj-link', action: E.drawLink, text: '链接', title: '链接'},
        {name: 'dj-table', action: E.drawTable, text: '表格', title: '表格'},
        {name: 'dj-photo', action: function () {
          var file = document.getElementById('u-file');
          if (file) {
            document.getElementById('upload').scrollIntoView({block: 'start'});
            file.focus();
            file.click();  // the phone's choice: camera or gallery
          }
        }, text: '插入照片', title: '插入照片'},
        {name: 'dj-undo', action: E.undo, text: '撤销', title: '撤销'},
        {name: 'dj-redo', action: E.redo, text: '重做', title: '重做'}
      ]
    });
    var cm = mde.codemirror;
    var input = cm.getInputField();
    input.setAttribute('aria-labelledby', 'label-body');
    if (textarea.getAttribute('aria-describedby')) {
      input.setAttribute('aria-describedby', textarea.getAttribute('aria-describedby'));
    }
    if (input.getAttribute('contenteditable')) {
      input.setAttribute('role', 'textbox');
      input.setAttribute('aria-multiline', 'true');
    }
    // Its buttons are left out of the tab order; ours are keyboard buttons.
    if (mde.gui && mde.gui.toolbar) {
      mde.gui.toolbar.setAttribute('role', 'toolbar');
      mde.gui.toolbar.setAttribute('aria-label', '正文格式');
      mde.gui.toolbar.querySelectorAll('button').forEach(function (button) { button.tabIndex = 0; });
    }
    var label = document.getElementById('label-body');
    if (label) { label.addEventListener('click', function () { cm.focus(); }); }
    return mde;
  }

  function markProblems(cm, hits) {
    document.querySelectorAll('#err-body li').forEach(function (item) {
      var match = /^第(\d+)行/.exec(item.textContent);
      if (match && Number(match[1]) <= cm.lineCount()) {
        cm.addLineClass(Number(match[1]) - 1, 'background', 'cm-error-line');
      }
    });
    if (!hits) { return; }
    // The server counts characters (code points); CodeMirror counts UTF-16 units.
    var chars = Array.from(cm.getValue());
    var units = [0];
    chars.forEach(function (ch, i) { units.push(units[i] + ch.length); });
    hits.split(',').forEach(function (span) {
      var parts = span.split('-').map(Number);
      if (parts.length !== 2 || parts[1] > chars.length) { return; }
      cm.markText(cm.posFromIndex(units[parts[0]]), cm.posFromIndex(units[parts[1]]),
                  {className: 'cm-hit'});
    });
  }

  setupNewForm();
  setupEditor();
}());

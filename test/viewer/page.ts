// The page our viewer harness serves: it loads Catapult's trace viewer (the copy
// shipped with Go, as `go tool trace` serves it under /static/), fetches one JSON
// trace, imports it into a tr.Model the way Go's /trace page does, hands the model
// to a timeline view, and publishes what the viewer made of it on
// window.__viewerResult for the test to read over the DevTools protocol.

export const VIEWER_PAGE = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<script>
'use strict';
window.__viewerPageErrors = [];
window.addEventListener('error', function(e) {
  window.__viewerPageErrors.push(String(e && e.message || e));
});
window.addEventListener('unhandledrejection', function(e) {
  var r = e && e.reason;
  window.__viewerPageErrors.push('unhandled rejection: ' + String(r && r.message || r));
});
function onViewerImportFail() {
  window.__viewerResult = { fatal: '/static/trace_viewer_full.html could not be loaded' };
}
</script>
<script src="/static/webcomponents.min.js"></script>
<link rel="import" href="/static/trace_viewer_full.html" onerror="onViewerImportFail()">
<style>
  html, body { margin: 0; padding: 0; width: 100%; height: 100%; overflow: hidden; }
  #trace-viewer { width: 100%; height: 100%; }
</style>
<script>
'use strict';
(function() {
  var params = new URLSearchParams(window.location.search);
  var jsonUrl = params.get('json');
  var render = params.get('render') !== '0';

  function finish(r) {
    r.pageErrors = window.__viewerPageErrors.slice();
    window.__viewerResult = r;
  }

  function nextFrame() {
    return new Promise(function(res) {
      var done = false;
      requestAnimationFrame(function() { if (!done) { done = true; res(); } });
      setTimeout(function() { if (!done) { done = true; res(); } }, 500);
    });
  }

  function countAsync(slices, st) {
    for (var i = 0; i < slices.length; i++) {
      var s = slices[i];
      st.asyncSlices++;
      if (s.error) st.asyncErrors.push(s.title + ': ' + s.error);
      if (s.subSlices && s.subSlices.length) countAsync(s.subSlices, st);
    }
  }

  function stats(model) {
    var st = {
      processes: 0, threads: 0, slices: 0, unfinishedSlices: 0, improperlyNested: 0, nestingExamples: [],
      asyncSlices: 0, asyncErrors: [], counters: 0, singleSampleCounters: [], counterSeries: 0, counterSamples: 0,
      processInstants: 0, globalInstants: (model.instantEvents || []).length,
      flowEvents: (model.flowEvents || []).length,
      warnings: (model.importWarnings || []).map(function(w) { return { type: w.type, message: w.message }; }),
      threadNames: 0, processNames: []
    };
    var pids = Object.keys(model.processes);
    for (var i = 0; i < pids.length; i++) {
      var p = model.processes[pids[i]];
      st.processes++;
      if (p.name) st.processNames.push(String(p.name));
      st.processInstants += (p.instantEvents || []).length;
      var cnames = Object.keys(p.counters || {});
      for (var c = 0; c < cnames.length; c++) {
        var ctr = p.counters[cnames[c]];
        st.counters++;
        st.counterSeries += ctr.numSeries;
        st.counterSamples += ctr.numSamples;
        // A counter with one sample is drawn as nothing (no second point to step to).
        if (ctr.numSamples === 1) st.singleSampleCounters.push(String(ctr.name));
      }
      var tids = Object.keys(p.threads);
      for (var t = 0; t < tids.length; t++) {
        var th = p.threads[tids[t]];
        st.threads++;
        if (th.name) st.threadNames++;
        var sl = th.sliceGroup.slices;
        st.slices += sl.length;
        for (var k = 0; k < sl.length; k++) if (sl[k].didNotFinish) st.unfinishedSlices++;
        // Top-level slices that start inside an earlier top-level slice and end
        // after it: the viewer could not nest them and draws them overlapping.
        var top = th.sliceGroup.topLevelSlices || [];
        var maxEnd = -Infinity;
        var maxSlice = null;
        for (var k2 = 0; k2 < top.length; k2++) {
          // 1e-6 ms = 1 ns: below the trace clock's resolution, so only float rounding.
          if (top[k2].start < maxEnd - 1e-6) {
            st.improperlyNested++;
            if (st.nestingExamples.length < 5) {
              st.nestingExamples.push((p.name || 'pid ' + pids[i]) + ' / ' + (th.name || 'tid ' + tids[t]) + ': "' +
                top[k2].title + '" [' + top[k2].start + ', ' + top[k2].end + '] ms starts inside "' +
                maxSlice.title + '" [' + maxSlice.start + ', ' + maxSlice.end + '] ms and ends after it');
            }
          }
          if (top[k2].end > maxEnd) { maxEnd = top[k2].end; maxSlice = top[k2]; }
        }
        countAsync(th.asyncSliceGroup.slices, st);
      }
    }
    st.boundsMs = model.bounds.isEmpty ? null : [model.bounds.min, model.bounds.max];
    return st;
  }

  function onResult(text, fetchMs) {
    var t0 = performance.now();
    var model = new tr.Model();
    var opts = new tr.importer.ImportOptions();
    opts.shiftWorldToZero = false;
    var imp = new tr.importer.Import(model, opts);
    imp.importTracesWithProgressDialog([text]).then(function() {
      var importMs = performance.now() - t0;
      var renderError = null;
      var t1 = performance.now();
      if (render) {
        try {
          var container = document.createElement('track-view-container');
          container.id = 'track_view_container';
          var viewer = document.createElement('tr-ui-timeline-view');
          viewer.track_view_container = container;
          Polymer.dom(viewer).appendChild(container);
          viewer.id = 'trace-viewer';
          viewer.globalMode = true;
          Polymer.dom(document.body).appendChild(viewer);
          viewer.model = model;
          viewer.viewTitle = 'trace';
        } catch (e) {
          renderError = String(tr.b.normalizeException(e).message);
        }
      }
      return nextFrame().then(nextFrame).then(function() {
        var r = stats(model);
        r.bytes = text.length;
        r.fetchMs = fetchMs;
        r.importMs = importMs;
        r.renderMs = performance.now() - t1;
        r.renderError = renderError;
        r.importError = null;
        finish(r);
      });
    }, function(err) {
      finish({ importError: String(tr.b.normalizeException(err).message) });
    }).catch(function(e) {
      finish({ fatal: 'harness page: ' + String(e && e.stack || e) });
    });
  }

  document.addEventListener('WebComponentsReady', function() {
    if (!window.tr || !tr.Model) {
      finish({ fatal: 'the trace viewer did not define tr.Model' });
      return;
    }
    var t0 = performance.now();
    var req = new XMLHttpRequest();
    // Go's page reads the JSON as a byte string this way; do the same.
    req.overrideMimeType('text/plain; charset=x-user-defined');
    req.open('GET', jsonUrl, true);
    req.onreadystatechange = function() {
      if (req.readyState !== 4) return;
      var fetchMs = performance.now() - t0;
      setTimeout(function() {
        if (req.status === 200) onResult(req.responseText, fetchMs);
        else finish({ fatal: 'HTTP ' + req.status + ' fetching ' + jsonUrl });
      }, 0);
    };
    req.send(null);
  });
}());
</script>
</head>
<body>
</body>
</html>
`;

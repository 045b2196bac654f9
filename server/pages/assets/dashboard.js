// portdelta dashboard: draws each chart from its element's data-chart attribute (JSON made by the
// server) with uPlot. No inline script: the Content-Security-Policy allows only files from portdelta.
'use strict';
(function () {
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  // Stacked bars: each series is drawn as the sum of itself and those below it, the tallest first,
  // so each shows as its own band; the legend and the table beside the chart give the plain counts.
  function stacked(spec, series, data) {
    var sums = spec.x.map(function () { return 0; });
    var layers = spec.series.map(function (s) {
      sums = sums.map(function (v, j) { return v + (s.values[j] || 0); });
      return sums;
    });
    // eslint-disable-next-line no-undef
    var bars = uPlot.paths.bars({ size: [0.7, 40] });
    for (var i = spec.series.length - 1; i >= 0; i--) {
      var color = COLORS[i % COLORS.length];
      series.push({ label: spec.series[i].label, stroke: color, fill: color, width: 1, paths: bars, points: { show: false } });
      data.push(layers[i]);
    }
  }
  function draw(el) {
    var spec = JSON.parse(el.getAttribute('data-chart'));
    var series = [{ label: 'time' }];
    var data = [spec.x];
    if (spec.kind === 'stacked') stacked(spec, series, data);
    else {
      spec.series.forEach(function (s, i) {
        series.push({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: true } });
        data.push(s.values);
      });
    }
    var width = Math.max(480, Math.min(900, el.clientWidth || 640));
    // eslint-disable-next-line no-undef
    new uPlot({ title: spec.title, width: width, height: 260, series: series, scales: { x: { time: true } } }, data, el);
    el.setAttribute('data-drawn', 'true');
  }
  function start() {
    var charts = document.querySelectorAll('[data-chart]');
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

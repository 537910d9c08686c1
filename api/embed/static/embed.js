/* Tells the page that frames this list its height, so the iframe can fit it without a scrollbar.
   The host page listens for {type: "impact-pratiques:height", height} (snippet on /embed/builder). */
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "impact-pratiques:height", height: height }, "*");
  }
  if ("ResizeObserver" in window) new ResizeObserver(send).observe(document.body);
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  send();
})();

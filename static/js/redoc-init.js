// Starts Redoc on /api/redoc/ from the data attributes of its container (no inline script under the CSP).
"use strict";
(function () {
  const container = document.getElementById("redoc-container");
  const settings = JSON.parse(container.dataset.settings || "{}");
  Redoc.init(container.dataset.specUrl, settings, container);
})();

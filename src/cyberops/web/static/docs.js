// Starts Swagger UI on the app's own OpenAPI description; a file, not an inline script, so the CSP can forbid those.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});

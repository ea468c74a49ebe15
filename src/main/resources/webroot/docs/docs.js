// The API explorer: Swagger UI on the node's own /openapi.yaml. "Authorize" takes an API token
// (java -jar roomcast.jar token); "Try it out" then calls this node with it.
window.ui = SwaggerUIBundle({
  url: '/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
});

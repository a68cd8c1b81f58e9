"""The API's routes, one module per audience: customer, agent, admin, health, web."""

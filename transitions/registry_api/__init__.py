"""The registry API for other systems, in the shape of the DCI social-registry standard
(docs/decisions/0025-registry-api.md): /api/dci/v1/."""

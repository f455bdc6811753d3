"""Running Pathways as several nodes on one machine: PostgreSQL, PgBouncer, N service
nodes and HAProxy (`python -m deploy.cluster`). Tooling, like `benchmarks/`: it starts
the product as separate processes and imports only its settings; product code never
imports it. See docs/DEPLOYMENT.md."""

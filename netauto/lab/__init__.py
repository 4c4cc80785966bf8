"""Labs: containerlab topologies from the plan, and real FRR routers in network namespaces."""

-- The head check runs a query on the partitioned chunks table for every moved head. PL/pgSQL
-- caches its plan, but PostgreSQL judges a generic plan over every partition dearer than one
-- planned for the parameters' partition, so it planned the query again on every call: ~0.2 ms per
-- append statement, more than the append itself (measured with pgbench on the node's statement).
-- A generic plan prunes to the stream's partition when it runs, so it is always the right plan here.
ALTER FUNCTION check_head_over_chunks() SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION guard_producer_insert() SET plan_cache_mode = force_generic_plan;

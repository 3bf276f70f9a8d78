//! The durable job queue's SQL (`jobs`): enqueue, claim, reschedule, bury, list.

//! The agent's engine: the Logstash config language, inputs, filters, outputs and queues.

/** NATS JetStream: the sink that publishes events, and the helper downstream readers use to consume them. */
export { createJetStreamSink, type JetStreamSinkOptions } from './jetstream-sink.ts';
export { ensureDurableConsumer, type DurableConsumerOptions } from './durable-consumer.ts';
export { subjectForTopic } from './subject.ts';

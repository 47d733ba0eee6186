export { createWebhookSink, type WebhookSinkOptions } from './webhook-sink.ts';
export { signWebhookBody, verifyWebhookSignature, type VerifyOptions } from './signature.ts';

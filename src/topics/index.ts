export { topics, type UserTopicSuffix } from './builders.ts';
export { combineTopics, expandTopic, expandTopics, splitForCombining } from './combined.ts';
export { diffShards, planShards, type Shard, type ShardChange, type ShardPlanOptions } from './sharding.ts';
export {
  isMetadataTopic,
  isSystemTopic,
  parseSubscribableTopic,
  parseTopic,
  sameTopic,
  topicKey,
  type ParsedTopic,
  type TopicKind,
} from './topic-name.ts';
export { TopicSet } from './topic-set.ts';

import { graphql } from '../generated/index.js';

export const PreviewSms = graphql(`
  query PreviewSms($text: String!) {
    previewSms(text: $text) { encoding characters segments unitsPerSegment remainingInLastSegment parts }
  }
`);

export const SmsAttemptCount = graphql(`
  query SmsAttemptCount($messageId: String!) {
    message(messageId: $messageId) { channel status { groupName } attempts { channel messageCount } }
  }
`);

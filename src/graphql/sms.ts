import { analyzeSms, type SmsAnalysis } from '../domain/sms-encoding.js';
import { builder } from './builder.js';

const SmsEncodingEnum = builder.enumType('SmsEncoding', { values: ['GSM7', 'UCS2'] as const });

const SmsPreviewType = builder.objectRef<SmsAnalysis>('SmsPreview').implement({
  description: 'How a text will travel as SMS: encoding, length and the parts it is split into.',
  fields: (t) => ({
    encoding: t.field({ type: SmsEncodingEnum, resolve: (a) => a.encoding }),
    characters: t.exposeInt('characters', { description: 'Septets (GSM-7) or UTF-16 code units (UCS-2), as billed.' }),
    segments: t.exposeInt('segments'),
    unitsPerSegment: t.exposeInt('unitsPerSegment'),
    remainingInLastSegment: t.exposeInt('remainingInLastSegment'),
    parts: t.exposeStringList('parts'),
  }),
});

builder.queryFields((t) => ({
  previewSms: t.field({
    type: SmsPreviewType,
    args: { text: t.arg.string({ required: true }) },
    resolve: (_root, { text }) => analyzeSms(text),
  }),
}));

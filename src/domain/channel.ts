export const CHANNELS = ['VIBER', 'SMS'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PROVIDER_TYPES = ['SIMULATOR', 'VIBER_BOT', 'INFOBIP', 'DECISIONTELECOM'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

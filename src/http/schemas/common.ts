import { Type } from '@sinclair/typebox';

// The blocks the core shapes are built from live with the services (they derive their types from them).
export { AgentList, AgentWeightSchema, CallingHoursSchema, CountryCode, E164Input, Id, NumberReference, literals, Nullable, Timestamp, Url } from '../../services/schemas.ts';

export const ListLimit = Type.Integer({ minimum: 1, maximum: 1000, default: 50 });

// The record's schemas belong to the core model; the routes declare them from here.
export { NumberEventSchema, PhoneNumberChangesSchema, PhoneNumberImportSchema, PhoneNumberSchema } from '../../services/phone-numbers/schema.ts';

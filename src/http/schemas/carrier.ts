// The carrier's schemas belong to the core model; the routes declare them from here.
export {
  CarrierChangesSchema,
  CarrierCreateSchema,
  CarrierSchema,
  InboundAuthInputSchema,
  InboundAuthView,
  Netmask,
  Port,
  RegistrationInputSchema,
  RegistrationView,
  TrunkType,
} from '../../services/carrier-schema.ts';

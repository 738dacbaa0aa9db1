import { z } from 'zod';

/** Request ids are chosen by the client and echoed in the reply (and in events tied to the request). */
export const RequestId = z.union([z.number().int(), z.string().min(1).max(64)]);
export type RequestId = z.infer<typeof RequestId>;

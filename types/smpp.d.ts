// Minimal declarations for the parts of `smpp` 0.5.1 (CommonJS, untyped) that Volley uses.
// PDU fields are dynamic (one property per SMPP parameter or registered TLV), hence the index signature.
declare module "smpp" {
  import { EventEmitter } from "node:events";
  import type { Server as NetServer, Socket } from "node:net";

  namespace smpp {
    type PduOptions = Record<string, unknown>;
    type ResponseCallback = (pdu: PDU) => void;

    /** A short_message / message_payload after the package's decode filter. */
    type DecodedMessage = { message: string | Buffer; udh?: Buffer[] };

    class PDU {
      constructor(command: string | Buffer, options?: PduOptions);
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      [field: string]: unknown;
      isResponse(): boolean;
      response(options?: PduOptions): PDU;
      toBuffer(): Buffer;
    }

    class Session extends EventEmitter {
      socket: Socket;
      server?: Server;
      send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
    }

    class Server extends NetServer {
      sessions: Session[];
    }

    type TlvType = { read: unknown; write: unknown; size: unknown };

    function createServer(options: PduOptions, listener?: (session: Session) => void): Server;
    function connect(options: { host: string; port: number }, listener?: () => void): Session;
    function addTLV(tag: string, options: { id: number; type: TlvType; multiple?: boolean }): void;

    const types: { tlv: Record<"int8" | "int16" | "int32" | "cstring" | "string" | "buffer", TlvType> };
    const tlvs: Record<string, { id: number; tag: string }>;
    const errors: Record<string, number>;
  }

  export = smpp;
}

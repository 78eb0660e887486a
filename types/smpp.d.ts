// Minimal declarations for the parts of `smpp` 0.5.1 (CommonJS, untyped) that Volley uses.
// PDU fields are dynamic (one property per SMPP parameter or registered TLV), hence the index signature.
declare module "smpp" {
  import { EventEmitter } from "node:events";
  import type { Server as NetServer, Socket } from "node:net";

  namespace smpp {
    type PduOptions = Record<string, unknown>;
    type ResponseCallback = (pdu: PDU) => void;
    /** What Session.send needs of a PDU: the package's, or one encoded elsewhere (server/delivery/smpp/wire.ts). */
    type OutgoingPdu = { sequence_number: number; isResponse(): boolean; toBuffer(): Buffer };

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
      response(options?: PduOptions): OutgoingPdu;
      toBuffer(): Buffer;
    }

    class Session extends EventEmitter {
      constructor(options: { socket: Socket } | { host: string; port: number });
      socket: Socket;
      server?: Server;
      paused: boolean;
      protected _busy: boolean;
      protected _callbacks: Record<number, ResponseCallback | undefined>;
      /** Reads whatever PDUs the socket holds; bound to the socket's 'readable' in the constructor. */
      _extractPDUs(): void;
      send(pdu: OutgoingPdu, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
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
    const filters: {
      message: { decode(this: PDU, value: Buffer, skipUdh?: boolean): unknown };
    };
    const gsmCoder: {
      decode(bytes: Buffer, encoding: number): string;
      getCoder(encoding: number): {
        charListDec: Record<number, string>;
        extCharListDec: Record<string, string>;
        escChars: string;
        escCharsDec?: string;
      };
    };
  }

  export = smpp;
}

// The operation handlers, one function per NFSv4 operation (see OpHandler in
// compound.h for the contract). Grouped in files by what they touch:
//   op_fh.cc      PUTFH PUTROOTFH PUTPUBFH GETFH SAVEFH RESTOREFH LOOKUP LOOKUPP
//   op_attr.cc    GETATTR SETATTR VERIFY NVERIFY ACCESS
//   op_dir.cc     CREATE REMOVE RENAME LINK READDIR READLINK
//   op_io.cc      READ WRITE COMMIT
//   op_open.cc    OPEN OPEN_CONFIRM OPEN_DOWNGRADE CLOSE
//   op_client.cc  SETCLIENTID SETCLIENTID_CONFIRM RENEW RELEASE_LOCKOWNER EXCHANGE_ID
//                 CREATE_SESSION DESTROY_SESSION DESTROY_CLIENTID SEQUENCE
//                 RECLAIM_COMPLETE BIND_CONN_TO_SESSION TEST_STATEID FREE_STATEID
//   op_lock.cc    LOCK LOCKT LOCKU
//   op_secinfo.cc SECINFO SECINFO_NO_NAME
#pragma once

#include "nfs4/compound.h"

namespace elfs::nfs4::ops {

#define ELFS_NFS4_OP(name) \
  nfsstat4 name(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res)

ELFS_NFS4_OP(PutFh);
ELFS_NFS4_OP(PutRootFh);
ELFS_NFS4_OP(PutPubFh);
ELFS_NFS4_OP(GetFh);
ELFS_NFS4_OP(SaveFh);
ELFS_NFS4_OP(RestoreFh);
ELFS_NFS4_OP(Lookup);
ELFS_NFS4_OP(LookupP);

ELFS_NFS4_OP(GetAttr);
ELFS_NFS4_OP(SetAttr);
ELFS_NFS4_OP(Verify);
ELFS_NFS4_OP(NVerify);
ELFS_NFS4_OP(Access);

ELFS_NFS4_OP(Create);
ELFS_NFS4_OP(Remove);
ELFS_NFS4_OP(Rename);
ELFS_NFS4_OP(Link);
ELFS_NFS4_OP(ReadDir);
ELFS_NFS4_OP(ReadLink);

ELFS_NFS4_OP(Read);
ELFS_NFS4_OP(Write);
ELFS_NFS4_OP(Commit);
ELFS_NFS4_OP(Allocate);  // NFSv4.2

ELFS_NFS4_OP(Open);
ELFS_NFS4_OP(OpenConfirm);
ELFS_NFS4_OP(OpenDowngrade);
ELFS_NFS4_OP(Close);

ELFS_NFS4_OP(SetClientId);
ELFS_NFS4_OP(SetClientIdConfirm);
ELFS_NFS4_OP(Renew);
ELFS_NFS4_OP(ReleaseLockOwner);
ELFS_NFS4_OP(ExchangeId);
ELFS_NFS4_OP(CreateSession);
ELFS_NFS4_OP(DestroySession);
ELFS_NFS4_OP(DestroyClientId);
ELFS_NFS4_OP(Sequence);
ELFS_NFS4_OP(ReclaimComplete);
ELFS_NFS4_OP(BindConnToSession);
ELFS_NFS4_OP(BackchannelCtl);
ELFS_NFS4_OP(TestStateid);
ELFS_NFS4_OP(FreeStateid);

ELFS_NFS4_OP(Lock);
ELFS_NFS4_OP(LockT);
ELFS_NFS4_OP(LockU);

ELFS_NFS4_OP(SecInfo);
ELFS_NFS4_OP(SecInfoNoName);

// Operations elfs does not offer (delegations, pNFS, named attributes): NFS4ERR_NOTSUPP after decoding nothing.
ELFS_NFS4_OP(NotSupported);

#undef ELFS_NFS4_OP

}  // namespace elfs::nfs4::ops

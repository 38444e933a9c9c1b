use super::*;

fn member(facility: FacilityId, role: Role, vendor: Option<VendorId>) -> Membership {
    Membership {
        facility,
        role,
        vendor,
    }
}

fn doc(facility: FacilityId, form: Option<FormKind>, vendor: Option<VendorId>) -> DocumentInfo {
    DocumentInfo {
        facility,
        form,
        kind: None,
        vendor,
        shared_with: Vec::new(),
    }
}

fn of_kind(facility: FacilityId, kind: DocKind, vendor: Option<VendorId>) -> DocumentInfo {
    DocumentInfo {
        kind: Some(kind),
        ..doc(facility, None, vendor)
    }
}

#[test]
fn roles_at_their_own_facility() {
    let f = FacilityId::generate();
    let checklist = doc(f, Some(FormKind::Medical), None);
    let index = doc(f, None, None);
    assert_eq!(
        access(&[member(f, Role::Admin, None)], &index),
        Access::Write
    );
    assert_eq!(
        access(&[member(f, Role::Staff, None)], &checklist),
        Access::Write
    );
    assert_eq!(
        access(&[member(f, Role::Viewer, None)], &checklist),
        Access::Read
    );
    assert_eq!(
        access(&[], &checklist),
        Access::None,
        "no membership, nothing"
    );
}

#[test]
fn nothing_at_another_facility() {
    let (f, other) = (FacilityId::generate(), FacilityId::generate());
    let theirs = doc(other, Some(FormKind::Medical), None);
    assert_eq!(
        access(&[member(f, Role::Admin, None)], &theirs),
        Access::None
    );
}

#[test]
fn a_vendor_sees_only_its_own_vendor_form_and_what_is_shared_with_it() {
    let f = FacilityId::generate();
    let (mine, other) = (VendorId::generate(), VendorId::generate());
    let me = [member(f, Role::Vendor, Some(mine))];
    assert_eq!(
        access(&me, &doc(f, Some(FormKind::Vendor), Some(mine))),
        Access::Write
    );
    assert_eq!(
        access(&me, &doc(f, Some(FormKind::Vendor), Some(other))),
        Access::None
    );
    assert_eq!(
        access(&me, &doc(f, Some(FormKind::Medical), None)),
        Access::None
    );
    assert_eq!(
        access(&me, &doc(f, None, None)),
        Access::None,
        "not the facility index"
    );
    let mut shared = doc(f, Some(FormKind::Medical), None);
    shared.shared_with.push(mine);
    assert_eq!(access(&me, &shared), Access::Read);
}

#[test]
fn one_vendor_account_across_facilities() {
    let (a, b) = (FacilityId::generate(), FacilityId::generate());
    let (va, vb) = (VendorId::generate(), VendorId::generate());
    let me = [
        member(a, Role::Vendor, Some(va)),
        member(b, Role::Vendor, Some(vb)),
    ];
    assert_eq!(
        access(&me, &doc(a, Some(FormKind::Vendor), Some(va))),
        Access::Write
    );
    assert_eq!(
        access(&me, &doc(b, Some(FormKind::Vendor), Some(vb))),
        Access::Write
    );
    // Facility B's form about vendor A's entity is not this account's business at B.
    assert_eq!(
        access(&me, &doc(b, Some(FormKind::Vendor), Some(va))),
        Access::None
    );
}

#[test]
fn managing_people_and_creating_documents() {
    let f = FacilityId::generate();
    assert!(may_manage_people(&[member(f, Role::Admin, None)], f));
    assert!(!may_manage_people(&[member(f, Role::Staff, None)], f));
    assert!(may_create_documents(&[member(f, Role::Staff, None)], f));
    assert!(!may_create_documents(&[member(f, Role::Viewer, None)], f));
    assert!(!may_create_documents(
        &[member(f, Role::Vendor, Some(VendorId::generate()))],
        f
    ));
    assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
    assert_eq!(Role::parse("root"), None);
}

#[test]
fn a_vendor_writes_its_own_contribution_to_the_device_ledger_and_no_ledger() {
    let (f, elsewhere) = (FacilityId::generate(), FacilityId::generate());
    let (mine, other) = (VendorId::generate(), VendorId::generate());
    let me = [member(f, Role::Vendor, Some(mine))];
    assert_eq!(
        access(&me, &of_kind(f, DocKind::VendorDevices, Some(mine))),
        Access::Write,
        "its own contribution"
    );
    assert_eq!(
        access(&me, &of_kind(f, DocKind::VendorDevices, Some(other))),
        Access::None,
        "another vendor's contribution"
    );
    assert_eq!(
        access(&me, &of_kind(f, DocKind::VendorDevices, None)),
        Access::None,
        "a contribution registered without a vendor is no vendor's"
    );
    assert_eq!(
        access(&me, &of_kind(elsewhere, DocKind::VendorDevices, Some(mine))),
        Access::None,
        "its vendor id at another facility is another membership"
    );
    for ledger in [DocKind::DeviceLedger, DocKind::UserLedger] {
        assert_eq!(
            access(&me, &of_kind(f, ledger, Some(mine))),
            Access::None,
            "{ledger:?}, even registered with its vendor id"
        );
        assert_eq!(access(&me, &of_kind(f, ledger, None)), Access::None);
    }
    // The facility's people see every contribution: 管理者 and 担当者 decide, 閲覧者 reads.
    let contribution = of_kind(f, DocKind::VendorDevices, Some(mine));
    assert_eq!(
        access(&[member(f, Role::Staff, None)], &contribution),
        Access::Write
    );
    assert_eq!(
        access(&[member(f, Role::Viewer, None)], &contribution),
        Access::Read
    );
}

#[test]
fn files_follow_the_facilitys_ordinary_documents() {
    let (f, elsewhere) = (FacilityId::generate(), FacilityId::generate());
    let vendor = VendorId::generate();
    for (role, vendor, expected) in [
        (Role::Admin, None, Access::Write),
        (Role::Staff, None, Access::Write),
        (Role::Viewer, None, Access::Read),
        (Role::Vendor, Some(vendor), Access::None),
    ] {
        let me = [member(f, role, vendor)];
        assert_eq!(files_access(&me, f), expected, "{role:?}");
        // The same as the facility's index or a ledger.
        assert_eq!(files_access(&me, f), access(&me, &doc(f, None, None)));
        assert_eq!(
            files_access(&me, elsewhere),
            Access::None,
            "{role:?} elsewhere"
        );
    }
    assert_eq!(files_access(&[], f), Access::None);
}

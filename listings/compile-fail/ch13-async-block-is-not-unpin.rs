fn assert_unpin<T: Unpin>(_: &T) {}

fn main() {
    let future = async { 42 };
    assert_unpin(&future);
}
